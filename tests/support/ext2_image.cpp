#include "ext2_image.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace toro_test {

namespace {

std::string temporary_path() {
    char name[] = "/tmp/toro-ext2-XXXXXX";
    int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    return name;
}

int run(const std::string& command, std::string* output) {
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return -1;
    char buffer[512];
    std::size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        if (output != nullptr) output->append(buffer, got);
    }
    int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::vector<std::uint8_t> make_ext2_image(std::size_t bytes, const std::string& options) {
    std::string path = temporary_path();
    std::string command = "PATH=$PATH:/sbin:/usr/sbin mke2fs -q -F -t ext2 " + options + " " + path +
                          " " + std::to_string(bytes / 1024) + "k";
    std::vector<std::uint8_t> image;
    if (run(command, nullptr) == 0) {
        std::ifstream file(path, std::ios::binary);
        image.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    }
    unlink(path.c_str());
    return image;
}

int check_ext2_image(const std::vector<std::uint8_t>& image, std::string* report) {
    std::string path = temporary_path();
    {
        std::ofstream file(path, std::ios::binary);
        file.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
    }
    int status = run("PATH=$PATH:/sbin:/usr/sbin e2fsck -fn " + path, report);
    unlink(path.c_str());
    return status;
}

}  // namespace toro_test
