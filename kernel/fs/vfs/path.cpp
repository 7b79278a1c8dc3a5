// Path resolution: one component at a time from the root, crossing mount
// points both ways, following symbolic links by splicing their target in
// front of the rest of the path (no recursion, so no stack growth).
#include "fs/text.h"
#include "fs/vfs/vfs.h"
#include "toro/memory.h"

namespace toro::fs {

namespace {

bool is_symlink(const Location& location) {
    Stat status{};
    Error error = with_mount(location, [&](FileSystem& file_system) {
        return file_system.get_attributes(location.inode, &status);
    });
    return error == Error::kOk && status.type == FileType::kSymlink;
}

// Replaces path[position..] with `target` + "/" + the rest that followed the
// link. kNameTooLong when it no longer fits.
Error splice_link(char* path, std::size_t* position, const Location& link, std::size_t rest) {
    char* target = static_cast<char*>(allocate(kMaxPath));
    if (target == nullptr) return Error::kNoMemory;
    Result<std::size_t> length = with_mount(link, [&](FileSystem& file_system) {
        return file_system.read_link(link.inode, target, kMaxPath);
    });
    std::size_t rest_length = text_length(path + rest);
    Error error = length.ok() ? Error::kOk : length.error();
    if (error == Error::kOk && (*length == 0 || *length + 1 + rest_length >= kMaxPath)) {
        error = *length == 0 ? Error::kNoEntry : Error::kNameTooLong;
    }
    if (error == Error::kOk) {
        __builtin_memmove(path + *length + 1, path + rest, rest_length + 1);
        __builtin_memcpy(path, target, *length);
        path[*length] = '/';
        *position = 0;
    }
    free(target);
    return error;
}

// The directory that `directory` hides in the parent mount if it is a
// mount's root; else (or at the tree's root) `directory` itself. Read under
// the mount's lock: parent and covered change only when the slot is
// mounted again, after an unmount that with_mount's check sees.
Result<Location> covered_if_root(const Location& directory) {
    return with_mount(directory, [&](FileSystem& file_system) -> Result<Location> {
        const Mount& mount = *directory.mount;
        if (mount.parent == nullptr || directory.inode != file_system.root()) return directory;
        return Location{mount.parent, mount.parent_generation, mount.covered};
    });
}

// One step down: `name` inside `directory`, through a mount point if one
// covers the result. ".." at a mount's root climbs to the covered directory
// first.
Result<Location> step(Location directory, const char* name, std::size_t length) {
    if (length == 2 && name[0] == '.' && name[1] == '.') {
        for (;;) {
            Result<Location> below = covered_if_root(directory);
            if (!below.ok()) return below.error();
            if (same_mount(*below, directory)) break;
            directory = *below;
        }
    }
    Result<InodeNumber> found = with_mount(directory, [&](FileSystem& file_system) {
        return file_system.lookup(directory.inode, Name{name, length});
    });
    if (!found.ok()) return found.error();
    Location next{directory.mount, directory.generation, *found};
    for (MountRef covering = mount_on(next); covering.mount != nullptr; covering = mount_on(next)) {
        Result<Location> top = root_of(covering);
        if (!top.ok()) break;  // unmounted meanwhile: the covered directory shows again
        next = *top;
    }
    return next;
}

}  // namespace

Error resolve(const char* given, bool follow_last, Resolved* out) {
    MountRef root = root_mount();
    if (root.mount == nullptr) return Error::kNoEntry;
    if (given == nullptr || given[0] != '/') return Error::kInvalid;
    std::size_t given_length = text_length(given);
    if (given_length >= kMaxPath) return Error::kNameTooLong;
    Result<Location> top = root_of(root);
    if (!top.ok()) return top.error();
    char* path = static_cast<char*>(allocate(kMaxPath));
    if (path == nullptr) return Error::kNoMemory;
    __builtin_memcpy(path, given, given_length + 1);

    Location root_location = *top;
    Location current = root_location;
    std::size_t position = 0;
    unsigned follows = 0;
    Error error = Error::kOk;
    out->parent = current;
    out->target = current;
    out->exists = true;
    out->name[0] = '.';
    out->name[1] = '\0';
    out->name_length = 1;
    for (;;) {
        if (path[position] == '/') {
            current = root_location;
            while (path[position] == '/') ++position;
        }
        if (path[position] == '\0') break;
        std::size_t start = position;
        while (path[position] != '\0' && path[position] != '/') ++position;
        std::size_t length = position - start;
        while (path[position] == '/') ++position;
        bool last = path[position] == '\0';
        if (length > kMaxName) {
            error = Error::kNameTooLong;
            break;
        }
        if (length == 1 && path[start] == '.') {
            out->target = current;
            continue;
        }
        Result<Location> next = step(current, path + start, length);
        if (!next.ok() && !(last && next.error() == Error::kNoEntry)) {
            error = next.error();
            break;
        }
        out->parent = current;
        __builtin_memcpy(out->name, path + start, length);
        out->name[length] = '\0';
        out->name_length = length;
        out->exists = next.ok();
        if (!next.ok()) break;
        if ((!last || follow_last) && is_symlink(*next)) {
            if (++follows > kMaxSymlinkFollows) {
                error = Error::kLoop;
                break;
            }
            // The target replaces the name; a relative one starts at `current`.
            error = splice_link(path, &position, *next, position);
            if (error != Error::kOk) break;
            continue;
        }
        current = *next;
        out->target = current;
    }
    free(path);
    if (error == Error::kOk && out->exists) out->target = current;
    return error;
}

}  // namespace toro::fs
