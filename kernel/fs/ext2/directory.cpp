// Linear directories (ext2 layout §4): blocks of variable-length entries,
// each record's length leading to the next; a record with inode 0 is free
// space. Every record is checked against its block before it is used.
// Directories with an htree index are read the same way (the index blocks
// look like empty records); a write clears the index flag, as the index
// would no longer match.
#include "fs/ext2/ext2.h"

namespace toro::ext2 {

namespace {

constexpr std::uint32_t record_length_for(std::size_t name_length) {
    return static_cast<std::uint32_t>((8 + name_length + 3) & ~std::size_t{3});
}

}  // namespace

// A directory entry read from a block, or the reason it is corrupt.
struct ParsedEntry {
    std::uint32_t inode;
    std::uint32_t record_length;
    std::uint32_t name_length;
    std::uint8_t file_type;
    const char* name;
};

static Error parse_entry(const Ext2& ext2, const std::uint8_t* block, std::uint32_t offset,
                         ParsedEntry* out) {
    if (offset + sizeof(DirectoryEntryHeader) > ext2.block_size_) return Error::kCorrupt;
    DirectoryEntryHeader header;
    __builtin_memcpy(&header, block + offset, sizeof header);
    out->inode = header.inode;
    out->record_length = header.record_length;
    // 64 KiB blocks store a record length of 65536 as 0 or 65535 (e2fsprogs'
    // ext2fs_get_rec_len): the record then runs to the end of the block.
    if (ext2.block_size_ == 65536 && (header.record_length == 0 || header.record_length == 65535)) {
        out->record_length = 65536 - offset;
    }
    out->name_length = header.name_length;
    out->file_type = ext2.has_filetype_ ? header.file_type : kFileTypeUnknown;
    if (!ext2.has_filetype_ && header.file_type != 0) return Error::kCorrupt;  // name > 255
    out->name = reinterpret_cast<const char*>(block + offset + sizeof header);
    if (out->record_length < 8 || out->record_length % 4 != 0 ||
        out->record_length > ext2.block_size_ - offset ||
        8 + out->name_length > out->record_length) {
        return Error::kCorrupt;
    }
    if (out->inode > ext2.super_.inodes_count) return Error::kCorrupt;
    return Error::kOk;
}

static void write_entry(const Ext2& ext2, std::uint8_t* block, std::uint32_t offset,
                        std::uint32_t inode, std::uint32_t record_length, Name name,
                        std::uint8_t file_type) {
    DirectoryEntryHeader header;
    header.inode = inode;
    // A whole 64 KiB block's record stores as 65535 (e2fsprogs' convention).
    header.record_length =
        static_cast<std::uint16_t>(record_length == 65536 ? 65535 : record_length);
    header.name_length = static_cast<std::uint8_t>(name.length);
    header.file_type = ext2.has_filetype_ ? file_type : 0;
    __builtin_memcpy(block + offset, &header, sizeof header);
    __builtin_memcpy(block + offset + sizeof header, name.bytes, name.length);
}

// The blocks to walk: the size says how many, but a hostile size is
// capped by the blocks the inode owns, so a walk never runs over billions
// of holes.
static std::uint64_t directory_blocks(const Ext2& ext2, const Inode& directory) {
    std::uint64_t by_size = (ext2.file_size(directory) + ext2.block_size_ - 1) / ext2.block_size_;
    std::uint64_t owned = directory.blocks / (ext2.block_size_ / 512);
    return by_size < owned ? by_size : owned;
}

Result<bool> Ext2::read_directory(InodeNumber number, std::uint64_t* cookie, DirectoryEntry* out) {
    Result<std::uint32_t> checked = checked_inode(number);
    if (!checked.ok()) return checked.error();
    Inode directory;
    TORO_TRY(load_inode(*checked, &directory));
    if ((directory.mode & kModeTypeMask) != kModeDirectory) return Error::kNotDirectory;
    std::uint64_t blocks = directory_blocks(*this, directory);
    while (*cookie / block_size_ < blocks) {
        std::uint64_t logical = *cookie / block_size_;
        auto offset = static_cast<std::uint32_t>(*cookie % block_size_);
        Result<std::uint32_t> physical = map_block(&directory, logical, false);
        if (!physical.ok()) return physical.error();
        if (*physical == 0) {  // a hole in a directory: skip the block
            *cookie = (logical + 1) * block_size_;
            continue;
        }
        Result<fs::BlockHandle> block = cache_->read(*physical);
        if (!block.ok()) return block.error();
        ParsedEntry entry;
        TORO_TRY(parse_entry(*this, block->data(), offset, &entry));
        *cookie += entry.record_length;
        if (entry.inode == 0) continue;
        // A name no path can reach: say so (the walk may go on past it).
        for (std::uint32_t i = 0; i < entry.name_length; ++i) {
            if (entry.name[i] == '/' || entry.name[i] == '\0') return Error::kCorrupt;
        }
        if (entry.name_length == 0) return Error::kCorrupt;
        out->inode = entry.inode;
        out->type = vfs_type_of_entry(entry.file_type);
        __builtin_memcpy(out->name, entry.name, entry.name_length);
        out->name[entry.name_length] = '\0';
        return true;
    }
    return false;
}

Result<bool> Ext2::find_entry(const Inode& directory, Name name, EntryLocation* where) {
    Inode copy = directory;
    std::uint64_t blocks = directory_blocks(*this, directory);
    for (std::uint64_t logical = 0; logical < blocks; ++logical) {
        Result<std::uint32_t> physical = map_block(&copy, logical, false);
        if (!physical.ok()) return physical.error();
        if (*physical == 0) continue;
        Result<fs::BlockHandle> block = cache_->read(*physical);
        if (!block.ok()) return block.error();
        std::uint32_t previous = ~0u;
        for (std::uint32_t offset = 0; offset < block_size_;) {
            ParsedEntry entry;
            TORO_TRY(parse_entry(*this, block->data(), offset, &entry));
            if (entry.inode != 0 && entry.name_length == name.length &&
                __builtin_memcmp(entry.name, name.bytes, name.length) == 0) {
                *where = {logical, offset, previous, entry.inode, entry.file_type};
                return true;
            }
            previous = offset;
            offset += entry.record_length;
        }
    }
    return false;
}

Result<InodeNumber> Ext2::lookup(InodeNumber number, Name name) {
    Result<std::uint32_t> checked = checked_inode(number);
    if (!checked.ok()) return checked.error();
    Inode directory;
    TORO_TRY(load_inode(*checked, &directory));
    if ((directory.mode & kModeTypeMask) != kModeDirectory) return Error::kNotDirectory;
    EntryLocation where;
    Result<bool> found = find_entry(directory, name, &where);
    if (!found.ok()) return found.error();
    if (!*found) return Error::kNoEntry;
    return InodeNumber{where.inode};
}

void Ext2::clear_index(Inode* directory) { directory->flags &= ~kInodeIndexFlag; }

Error Ext2::add_entry(std::uint32_t directory_number, Inode* directory, Name name,
                      std::uint32_t inode, std::uint8_t file_type) {
    std::uint32_t needed = record_length_for(name.length);
    std::uint64_t blocks = directory_blocks(*this, *directory);
    for (std::uint64_t logical = 0; logical < blocks; ++logical) {
        Result<std::uint32_t> physical = map_block(directory, logical, false);
        if (!physical.ok()) return physical.error();
        if (*physical == 0) continue;
        Result<fs::BlockHandle> block = cache_->read(*physical);
        if (!block.ok()) return block.error();
        for (std::uint32_t offset = 0; offset < block_size_;) {
            ParsedEntry entry;
            TORO_TRY(parse_entry(*this, block->data(), offset, &entry));
            std::uint32_t used = entry.inode == 0 ? 0 : record_length_for(entry.name_length);
            if (entry.record_length - used >= needed) {
                if (used != 0) {  // split: the old entry keeps what it uses
                    write_entry(*this, block->data(), offset, entry.inode, used,
                                Name{entry.name, entry.name_length}, entry.file_type);
                }
                write_entry(*this, block->data(), offset + used, inode, entry.record_length - used,
                            name, file_type);
                block->mark_dirty();
                clear_index(directory);
                directory->modify_time = directory->change_time = now_seconds();
                return store_inode(directory_number, *directory);
            }
            offset += entry.record_length;
        }
    }
    // No room: a new block at the end holds just this entry.
    Result<std::uint32_t> physical = map_block(directory, blocks, true);
    if (!physical.ok()) return physical.error();
    Result<fs::BlockHandle> block = cache_->overwrite(*physical);
    if (!block.ok()) return block.error();
    write_entry(*this, block->data(), 0, inode, block_size_, name, file_type);
    set_file_size(directory, (blocks + 1) * block_size_);
    clear_index(directory);
    directory->modify_time = directory->change_time = now_seconds();
    return store_inode(directory_number, *directory);
}

Error Ext2::remove_entry(const Inode& directory, const EntryLocation& where) {
    Inode copy = directory;
    Result<std::uint32_t> physical = map_block(&copy, where.logical_block, false);
    if (!physical.ok()) return physical.error();
    if (*physical == 0) return Error::kCorrupt;
    Result<fs::BlockHandle> block = cache_->read(*physical);
    if (!block.ok()) return block.error();
    ParsedEntry entry;
    TORO_TRY(parse_entry(*this, block->data(), where.offset, &entry));
    if (where.previous_offset == ~0u) {
        DirectoryEntryHeader header;
        __builtin_memcpy(&header, block->data() + where.offset, sizeof header);
        header.inode = 0;
        __builtin_memcpy(block->data() + where.offset, &header, sizeof header);
    } else {
        ParsedEntry previous;
        TORO_TRY(parse_entry(*this, block->data(), where.previous_offset, &previous));
        write_entry(*this, block->data(), where.previous_offset, previous.inode,
                    previous.record_length + entry.record_length,
                    Name{previous.name, previous.name_length}, previous.file_type);
    }
    block->mark_dirty();
    return Error::kOk;
}

Error Ext2::set_entry_inode(const Inode& directory, const EntryLocation& where,
                            std::uint32_t inode, std::uint8_t file_type) {
    Inode copy = directory;
    Result<std::uint32_t> physical = map_block(&copy, where.logical_block, false);
    if (!physical.ok()) return physical.error();
    if (*physical == 0) return Error::kCorrupt;
    Result<fs::BlockHandle> block = cache_->read(*physical);
    if (!block.ok()) return block.error();
    ParsedEntry entry;
    TORO_TRY(parse_entry(*this, block->data(), where.offset, &entry));
    write_entry(*this, block->data(), where.offset, inode, entry.record_length,
                Name{entry.name, entry.name_length}, file_type);
    block->mark_dirty();
    return Error::kOk;
}

Result<bool> Ext2::is_empty_directory(const Inode& directory) {
    Inode copy = directory;
    std::uint64_t blocks = directory_blocks(*this, directory);
    for (std::uint64_t logical = 0; logical < blocks; ++logical) {
        Result<std::uint32_t> physical = map_block(&copy, logical, false);
        if (!physical.ok()) return physical.error();
        if (*physical == 0) continue;
        Result<fs::BlockHandle> block = cache_->read(*physical);
        if (!block.ok()) return block.error();
        for (std::uint32_t offset = 0; offset < block_size_;) {
            ParsedEntry entry;
            TORO_TRY(parse_entry(*this, block->data(), offset, &entry));
            bool dot = entry.name_length == 1 && entry.name[0] == '.';
            bool dot_dot = entry.name_length == 2 && entry.name[0] == '.' && entry.name[1] == '.';
            if (entry.inode != 0 && !dot && !dot_dot) return false;
            offset += entry.record_length;
        }
    }
    return true;
}

Error Ext2::make_directory_block(std::uint32_t self, std::uint32_t parent, Inode* directory) {
    Result<std::uint32_t> physical = map_block(directory, 0, true);
    if (!physical.ok()) return physical.error();
    Result<fs::BlockHandle> block = cache_->overwrite(*physical);
    if (!block.ok()) return block.error();
    write_entry(*this, block->data(), 0, self, 12, Name{".", 1}, kFileTypeDirectory);
    write_entry(*this, block->data(), 12, parent, block_size_ - 12, Name{"..", 2},
                kFileTypeDirectory);
    set_file_size(directory, block_size_);
    return Error::kOk;
}

}  // namespace toro::ext2
