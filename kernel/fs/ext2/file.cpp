// File contents: read, write, truncate, and symbolic links. Holes read as
// zeros and are only filled by writes that land in them.
#include "fs/ext2/ext2.h"

namespace toro::ext2 {

namespace {

constexpr std::size_t kMaxRunBlocks = 256;   // one disk request for large reads

std::size_t smaller(std::uint64_t a, std::uint64_t b) {
    return static_cast<std::size_t>(a < b ? a : b);
}

}  // namespace

Result<std::size_t> Ext2::read(InodeNumber number, std::uint64_t offset, void* buffer,
                               std::size_t length) {
    Result<std::uint32_t> checked = checked_inode(number);
    if (!checked.ok()) return checked.error();
    Inode inode;
    TORO_TRY(load_inode(*checked, &inode));
    std::uint16_t type = inode.mode & kModeTypeMask;
    if (type == kModeDirectory) return Error::kIsDirectory;
    if (type != kModeRegular) return Error::kInvalid;
    std::uint64_t size = file_size(inode);
    if (offset >= size) return std::size_t{0};
    length = smaller(length, size - offset);
    auto* out = static_cast<std::uint8_t*>(buffer);
    std::size_t done = 0;
    while (done < length) {
        std::uint64_t position = offset + done;
        std::uint64_t logical = position / block_size_;
        auto within = static_cast<std::size_t>(position % block_size_);
        Result<std::uint32_t> physical = map_block(&inode, logical, false);
        if (!physical.ok()) return physical.error();
        std::size_t whole_blocks = (length - done) / block_size_;
        bool aligned = within == 0 && reinterpret_cast<std::uintptr_t>(out + done) % 16 == 0;
        if (*physical != 0 && aligned && whole_blocks > 1) {
            // A run of contiguous blocks straight into the caller's buffer.
            std::size_t run = 1;
            std::size_t limit = whole_blocks < kMaxRunBlocks ? whole_blocks : kMaxRunBlocks;
            while (run < limit) {
                Result<std::uint32_t> next = map_block(&inode, logical + run, false);
                if (!next.ok() || *next != *physical + run) break;
                ++run;
            }
            TORO_TRY(cache_->read_blocks(*physical, run, out + done));
            done += run * block_size_;
            continue;
        }
        std::size_t piece = smaller(block_size_ - within, length - done);
        if (*physical == 0) {
            __builtin_memset(out + done, 0, piece);
        } else {
            Result<fs::BlockHandle> block = cache_->read(*physical);
            if (!block.ok()) return block.error();
            __builtin_memcpy(out + done, block->data() + within, piece);
        }
        done += piece;
    }
    return done;
}

Result<std::size_t> Ext2::write(InodeNumber number, std::uint64_t offset, const void* buffer,
                                std::size_t length) {
    if (read_only_) return Error::kReadOnly;
    Result<std::uint32_t> checked = checked_inode(number);
    if (!checked.ok()) return checked.error();
    Inode inode;
    TORO_TRY(load_inode(*checked, &inode));
    if ((inode.mode & kModeTypeMask) != kModeRegular) return Error::kInvalid;
    std::uint64_t limit = max_logical_blocks() * block_size_;
    if (super_.revision == 0 && limit > 0x7fffffffu) limit = 0x7fffffffu;
    if (offset > limit || length > limit - offset) return Error::kFileTooBig;
    auto* in = static_cast<const std::uint8_t*>(buffer);
    std::size_t done = 0;
    Error error = Error::kOk;
    while (done < length) {
        std::uint64_t position = offset + done;
        std::uint64_t logical = position / block_size_;
        auto within = static_cast<std::size_t>(position % block_size_);
        std::size_t piece = smaller(block_size_ - within, length - done);
        Result<std::uint32_t> existing = map_block(&inode, logical, false);
        if (!existing.ok()) {
            error = existing.error();
            break;
        }
        bool fresh = *existing == 0;
        Result<std::uint32_t> physical = fresh ? map_block(&inode, logical, true) : existing;
        if (!physical.ok()) {
            error = physical.error();
            break;
        }
        // New blocks and whole-block overwrites need no read first.
        Result<fs::BlockHandle> block = fresh || piece == block_size_ ? cache_->overwrite(*physical)
                                                                      : cache_->read(*physical);
        if (!block.ok()) {
            error = block.error();
            break;
        }
        __builtin_memcpy(block->data() + within, in + done, piece);
        block->mark_dirty();
        done += piece;
    }
    if (done > 0) {
        if (offset + done > file_size(inode)) set_file_size(&inode, offset + done);
        inode.modify_time = inode.change_time = now_seconds();
    }
    Error stored = store_inode(*checked, inode);  // blocks may have changed even on error
    if (done > 0 && stored == Error::kOk) return done;
    if (error != Error::kOk) return error;
    if (stored != Error::kOk) return stored;
    return done;  // nothing was asked for (a length of 0)
}

Error Ext2::resize(std::uint32_t number, Inode* inode, std::uint64_t size) {
    std::uint64_t old_size = file_size(*inode);
    if (size < old_size) {
        std::uint64_t kept_blocks = (size + block_size_ - 1) / block_size_;
        TORO_TRY(free_blocks_from(inode, kept_blocks));
        // Zero the tail of a partial last block: growing later must read zeros.
        if (size % block_size_ != 0) {
            Result<std::uint32_t> physical = map_block(inode, size / block_size_, false);
            if (!physical.ok()) return physical.error();
            if (*physical != 0) {
                Result<fs::BlockHandle> block = cache_->read(*physical);
                if (!block.ok()) return block.error();
                auto within = static_cast<std::size_t>(size % block_size_);
                __builtin_memset(block->data() + within, 0, block_size_ - within);
                block->mark_dirty();
            }
        }
    }
    set_file_size(inode, size);
    inode->modify_time = inode->change_time = now_seconds();
    return store_inode(number, *inode);
}

Error Ext2::truncate(InodeNumber number, std::uint64_t size) {
    if (read_only_) return Error::kReadOnly;
    Result<std::uint32_t> checked = checked_inode(number);
    if (!checked.ok()) return checked.error();
    Inode inode;
    TORO_TRY(load_inode(*checked, &inode));
    std::uint16_t type = inode.mode & kModeTypeMask;
    if (type == kModeDirectory) return Error::kIsDirectory;
    if (type != kModeRegular) return Error::kInvalid;
    std::uint64_t limit = max_logical_blocks() * block_size_;
    if (super_.revision == 0 && limit > 0x7fffffffu) limit = 0x7fffffffu;
    if (size > limit) return Error::kFileTooBig;
    return resize(*checked, &inode, size);
}

Result<std::size_t> Ext2::read_link(InodeNumber number, char* buffer, std::size_t capacity) {
    Result<std::uint32_t> checked = checked_inode(number);
    if (!checked.ok()) return checked.error();
    Inode inode;
    TORO_TRY(load_inode(*checked, &inode));
    if ((inode.mode & kModeTypeMask) != kModeSymlink) return Error::kInvalid;
    std::uint64_t size = inode.size;
    std::size_t copied = smaller(size, capacity);
    if (is_fast_symlink(inode)) {
        if (size > kFastSymlinkBytes) return Error::kCorrupt;
        __builtin_memcpy(buffer, inode.block, copied);
        return copied;
    }
    if (size >= block_size_) return Error::kCorrupt;
    Result<std::uint32_t> physical = map_block(&inode, 0, false);
    if (!physical.ok()) return physical.error();
    if (*physical == 0) return Error::kCorrupt;
    Result<fs::BlockHandle> block = cache_->read(*physical);
    if (!block.ok()) return block.error();
    __builtin_memcpy(buffer, block->data(), copied);
    return copied;
}

}  // namespace toro::ext2
