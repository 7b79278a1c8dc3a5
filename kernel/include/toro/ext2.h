// The ext2 driver (unit `ext2`): revisions 0 and 1, blocks of 1 to 64 KiB.
// Mount with toro::mount("/", toro::disk(0), toro::ext2_file_system).
#pragma once

#include "toro/fs.h"

namespace toro {

extern const FileSystemType ext2_file_system;

}  // namespace toro
