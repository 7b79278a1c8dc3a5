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

// Calls visit(logical, offset, previous_offset, entry) for every record of
// the directory, in order, until it returns true; returns whether one did.
// A corrupt record ends the walk with kCorrupt.
template <typename Visit>
static Result<bool> walk_records(Ext2& ext2, const Inode& directory, Visit visit) {
    Inode copy = directory;
    std::uint64_t blocks = directory_blocks(ext2, directory);
    for (std::uint64_t logical = 0; logical < blocks; ++logical) {
        Result<std::uint32_t> physical = ext2.map_block(&copy, logical, false);
        if (!physical.ok()) return physical.error();
        if (*physical == 0) continue;
        Result<fs::BlockHandle> block = ext2.cache_->read(*physical);
        if (!block.ok()) return block.error();
        std::uint32_t previous = ~0u;
        for (std::uint32_t offset = 0; offset < ext2.block_size_;) {
            ParsedEntry entry;
            TORO_TRY(parse_entry(ext2, block->data(), offset, &entry));
            if (visit(logical, offset, previous, entry)) return true;
            previous = offset;
            offset += entry.record_length;
        }
    }
    return false;
}

static bool has_name(const ParsedEntry& entry, Name name) {
    return entry.inode != 0 && entry.name_length == name.length &&
           __builtin_memcmp(entry.name, name.bytes, name.length) == 0;
}

Result<bool> Ext2::find_entry(std::uint32_t number, const Inode& directory, Name name,
                              EntryLocation* where) {
    if (NameIndex* index = name_index_for(number, directory)) {
        Result<bool> found = find_indexed(*index, directory, name, where);
        if (found.ok()) return found;
        index->clear();  // stale or unreadable: the blocks say the rest
    }
    return walk_records(*this, directory, [&](std::uint64_t logical, std::uint32_t offset,
                                              std::uint32_t previous, const ParsedEntry& entry) {
        if (!has_name(entry, name)) return false;
        *where = {logical, offset, previous, entry.inode, entry.file_type, number};
        return true;
    });
}

// The index's candidates for `name`, each checked against its block: the
// chain of records must reach the position, and the entry there must be
// live. A hash collision is skipped; any other mismatch is kCorrupt, which
// drops the index.
Result<bool> Ext2::find_indexed(const NameIndex& index, const Inode& directory, Name name,
                                EntryLocation* where) {
    Result<bool> result = false;
    index.find(NameIndex::hash(name), [&](NameIndex::Position position) {
        Inode copy = directory;
        Result<std::uint32_t> physical = map_block(&copy, position.logical_block, false);
        Result<fs::BlockHandle> block = Error::kCorrupt;
        if (physical.ok() && *physical != 0) block = cache_->read(*physical);
        if (!block.ok()) {
            result = block.error();
            return true;
        }
        std::uint32_t previous = ~0u, offset = 0;
        ParsedEntry entry;
        for (;;) {
            Error error = parse_entry(*this, block->data(), offset, &entry);
            if (error != Error::kOk || offset > position.offset ||
                (offset == position.offset && entry.inode == 0)) {
                result = Error::kCorrupt;
                return true;
            }
            if (offset == position.offset) break;
            previous = offset;
            offset += entry.record_length;
        }
        if (!has_name(entry, name)) return false;
        *where = {position.logical_block, offset, previous, entry.inode, entry.file_type,
                  index.directory};
        result = true;
        return true;
    });
    return result;
}

// The index of directory `number`: the one kept, or a new one when the
// directory is big enough to need it; null for a small directory, or when
// memory or the directory's records do not allow one.
NameIndex* Ext2::name_index_for(std::uint32_t number, const Inode& directory) {
    NameIndex* oldest = &name_indexes_[0];
    for (NameIndex& index : name_indexes_) {
        if (index.directory == number) {
            index.last_used = ++name_index_clock_;
            return &index;
        }
        if (index.last_used < oldest->last_used) oldest = &index;
    }
    if (directory_blocks(*this, directory) < kIndexedDirectoryBlocks) return nullptr;
    oldest->clear();
    bool filled = true;
    Result<bool> walked = walk_records(*this, directory, [&](std::uint64_t logical, std::uint32_t offset,
                                                             std::uint32_t, const ParsedEntry& entry) {
        if (entry.inode == 0) return false;
        filled = oldest->size() < kMaxIndexedEntries &&
                 oldest->insert(NameIndex::hash(Name{entry.name, entry.name_length}),
                                {static_cast<std::uint32_t>(logical), offset});
        return !filled;
    });
    if (!walked.ok() || !filled) {
        oldest->clear();
        return nullptr;
    }
    oldest->directory = number;
    oldest->last_used = ++name_index_clock_;
    return oldest;
}

void Ext2::drop_name_index(std::uint32_t directory) {
    for (NameIndex& index : name_indexes_) {
        if (index.directory == directory) index.clear();
    }
}

Result<InodeNumber> Ext2::lookup(InodeNumber number, Name name) {
    Result<std::uint32_t> checked = checked_inode(number);
    if (!checked.ok()) return checked.error();
    Inode directory;
    TORO_TRY(load_inode(*checked, &directory));
    if ((directory.mode & kModeTypeMask) != kModeDirectory) return Error::kNotDirectory;
    EntryLocation where;
    Result<bool> found = find_entry(*checked, directory, name, &where);
    if (!found.ok()) return found.error();
    if (!*found) return Error::kNoEntry;
    return InodeNumber{where.inode};
}

void Ext2::clear_index(Inode* directory) { directory->flags &= ~kInodeIndexFlag; }

Error Ext2::add_entry(std::uint32_t directory_number, Inode* directory, Name name,
                      std::uint32_t inode, std::uint8_t file_type) {
    std::uint32_t needed = record_length_for(name.length);
    std::uint64_t blocks = directory_blocks(*this, *directory);
    NameIndex* index = name_index_for(directory_number, *directory);
    // Blocks the index knows have no room for this size are skipped.
    std::uint64_t first = index != nullptr && needed >= index->full_for ? index->full_below : 0;
    for (std::uint64_t logical = first; logical < blocks; ++logical) {
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
                note_added(index, name, logical, offset + used, needed);
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
    note_added(index, name, blocks, 0, needed);
    set_file_size(directory, (blocks + 1) * block_size_);
    clear_index(directory);
    directory->modify_time = directory->change_time = now_seconds();
    return store_inode(directory_number, *directory);
}

// Keeps the index complete: the new entry, and the blocks before its block
// known to have had no room for `needed` bytes.
void Ext2::note_added(NameIndex* index, Name name, std::uint64_t logical, std::uint32_t offset,
                      std::uint32_t needed) {
    if (index == nullptr) return;
    if (!index->insert(NameIndex::hash(name), {static_cast<std::uint32_t>(logical), offset})) {
        index->clear();  // out of memory: lookups scan again
        return;
    }
    index->full_below = logical;
    index->full_for = needed;
}

// The entry at `where`, named `name`, is going: out of its directory's
// index, whose block may now have room.
void Ext2::note_removed(const EntryLocation& where, Name name) {
    for (NameIndex& index : name_indexes_) {
        if (index.directory == 0 || index.directory != where.directory) continue;
        index.remove(NameIndex::hash(name), {static_cast<std::uint32_t>(where.logical_block), where.offset});
        if (where.logical_block < index.full_below) index.full_below = where.logical_block;
    }
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
    note_removed(where, Name{entry.name, entry.name_length});
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
    Result<bool> other = walk_records(*this, directory, [](std::uint64_t, std::uint32_t, std::uint32_t,
                                                           const ParsedEntry& entry) {
        bool dot = entry.name_length == 1 && entry.name[0] == '.';
        bool dot_dot = entry.name_length == 2 && entry.name[0] == '.' && entry.name[1] == '.';
        return entry.inode != 0 && !dot && !dot_dot;
    });
    if (!other.ok()) return other.error();
    return !*other;
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
