// fstool's entry: mount the first disk at "/", run the commands in order
// (stopping at the first that fails), then unmount cleanly either way.
#include "fstool.h"

#include <toro/ext2.h>

namespace {

bool is_separator(const char* word) { return word[0] == ';' && word[1] == '\0'; }

int run_all(int argc, char** argv) {
    int first = 1;
    while (first < argc) {
        int end = first;
        while (end < argc && !is_separator(argv[end])) ++end;
        if (end > first && !fstool::run(fstool::Command{argv + first, end - first})) return 1;
        first = end + 1;
    }
    return 0;
}

}  // namespace

int toro_main(int argc, char** argv) {
    if (argc < 2) {
        toro::print("usage: fstool COMMAND [ARGS] [; COMMAND [ARGS]]...\n"
                    "commands: ls PATH | cat PATH | tree PATH | write PATH SIZE SEED |\n"
                    "  append PATH SIZE SEED | truncate PATH SIZE | mkdir PATH | rmdir PATH |\n"
                    "  rm PATH | mv FROM TO | ln -s TARGET PATH | sync\n");
        return 2;
    }
    toro::Disk* disk = toro::disk(0);
    if (disk == nullptr) {
        toro::print("fstool: no disk attached\n");
        return 1;
    }
    toro::Error mounted = toro::mount("/", disk, toro::ext2_file_system);
    if (mounted != toro::Error::kOk) {
        fstool::report("mount", disk->name(), mounted);
        return 1;
    }
    int status = run_all(argc, argv);
    toro::Error unmounted = toro::unmount("/");
    if (unmounted != toro::Error::kOk) {
        fstool::report("unmount", nullptr, unmounted);
        status = 1;
    }
    return status;
}
