// Fresh ext2 images for tests, made by the real mke2fs (e2fsprogs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace toro_test {

// An empty ext2 filesystem of `bytes` bytes made by `mke2fs -t ext2` with
// `options` (e.g. "-b 1024"). Empty on failure.
std::vector<std::uint8_t> make_ext2_image(std::size_t bytes, const std::string& options = "");

// Runs `e2fsck -fn` on the image; returns its exit status (0 = clean) and
// puts its output in `report`.
int check_ext2_image(const std::vector<std::uint8_t>& image, std::string* report);

}  // namespace toro_test
