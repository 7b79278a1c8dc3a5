// A file's block map: twelve direct pointers, then single, double and
// triple indirect blocks of block_size / 4 pointers each (ext2 layout
// §3.5, i_block). A zero pointer is a hole, which reads as zeros.
#include "fs/ext2/ext2.h"

namespace toro::ext2 {

namespace {

// The route to a logical block: which i_block slot, then the index in each
// indirect block below it.
struct BlockPath {
    unsigned slot;
    unsigned depth;          // indirect levels below the slot: 0 to 3
    std::uint32_t index[3];
};

BlockPath path_of(std::uint64_t logical, std::uint64_t per_block) {
    BlockPath path{};
    if (logical < kDirectBlocks) {
        path.slot = static_cast<unsigned>(logical);
        return path;
    }
    logical -= kDirectBlocks;
    std::uint64_t span = per_block;
    for (unsigned depth = 1; depth <= 3; ++depth) {
        if (logical < span) {
            path.slot = kSingleIndirect + depth - 1;
            path.depth = depth;
            for (unsigned level = depth; level > 0; --level) {
                path.index[level - 1] = static_cast<std::uint32_t>(logical % per_block);
                logical /= per_block;
            }
            return path;
        }
        logical -= span;
        span *= per_block;
    }
    path.depth = 4;  // beyond triple indirect: callers check max_logical_blocks first
    return path;
}

}  // namespace

std::uint64_t Ext2::max_logical_blocks() const {
    std::uint64_t p = pointers_per_block_;
    return kDirectBlocks + p + p * p + p * p * p;
}

Result<std::uint32_t> Ext2::map_block(Inode* inode, std::uint64_t logical, bool allocate) {
    if (logical >= max_logical_blocks()) return Error::kFileTooBig;
    BlockPath path = path_of(logical, pointers_per_block_);
    std::uint32_t goal = 0;
    if (allocate) {
        // Follow the previous block, so a file written in order is contiguous.
        Result<std::uint32_t> previous = logical > 0 ? map_block(inode, logical - 1, false)
                                                     : Result<std::uint32_t>(0u);
        goal = previous.ok() && *previous != 0 ? *previous + 1 : 0;
    }
    auto take_new_block = [&](std::uint32_t* pointer, bool is_data) -> Error {
        Result<std::uint32_t> block = allocate_block(goal);
        if (!block.ok()) return block.error();
        if (!is_data) {  // a fresh indirect block must read as all holes
            Result<fs::BlockHandle> zeroed = cache_->overwrite(*block);
            if (!zeroed.ok()) return zeroed.error();
        }
        *pointer = *block;
        goal = *block + 1;
        inode->blocks += block_size_ / 512;
        return Error::kOk;
    };

    std::uint32_t block = inode->block[path.slot];
    if (block == 0) {
        if (!allocate) return 0u;
        TORO_TRY(take_new_block(&inode->block[path.slot], path.depth == 0));
        block = inode->block[path.slot];
    }
    for (unsigned level = 0; level < path.depth; ++level) {
        if (!block_in_data_area(block)) return Error::kCorrupt;
        Result<fs::BlockHandle> indirect = cache_->read(block);
        if (!indirect.ok()) return indirect.error();
        auto* pointers = reinterpret_cast<std::uint32_t*>(indirect->data());
        std::uint32_t* pointer = &pointers[path.index[level]];
        if (*pointer == 0) {
            if (!allocate) return 0u;
            TORO_TRY(take_new_block(pointer, level + 1 == path.depth));
            indirect->mark_dirty();
        }
        block = *pointer;
    }
    if (!block_in_data_area(block)) return Error::kCorrupt;
    return block;
}

namespace {

// Frees the subtree under one pointer whose first logical block is `base`
// and which spans `span` blocks at `depth` indirect levels, keeping what
// lies before `first`. Clears the pointer when the whole subtree went.
struct TreeFreer {
    Ext2& ext2;
    Inode* inode;
    std::uint64_t first;

    Error free_tree(std::uint32_t* pointer, unsigned depth, std::uint64_t base, std::uint64_t span) {
        if (*pointer == 0 || base + span <= first) return Error::kOk;
        if (!ext2.block_in_data_area(*pointer)) return Error::kCorrupt;
        if (depth > 0) {
            Result<fs::BlockHandle> indirect = ext2.cache_->read(*pointer);
            if (!indirect.ok()) return indirect.error();
            auto* children = reinterpret_cast<std::uint32_t*>(indirect->data());
            std::uint64_t child_span = span / ext2.pointers_per_block_;
            for (std::uint32_t i = 0; i < ext2.pointers_per_block_; ++i) {
                if (children[i] == 0) continue;
                std::uint32_t before = children[i];
                TORO_TRY(free_tree(&children[i], depth - 1, base + i * child_span, child_span));
                if (children[i] != before) indirect->mark_dirty();
            }
            indirect->release();  // before the block itself may be freed
        }
        if (base < first) return Error::kOk;  // partly kept: the indirect block stays
        TORO_TRY(ext2.free_block(*pointer));
        *pointer = 0;
        std::uint32_t sectors = ext2.block_size_ / 512;
        inode->blocks = inode->blocks >= sectors ? inode->blocks - sectors : 0;
        return Error::kOk;
    }
};

}  // namespace

Error Ext2::free_blocks_from(Inode* inode, std::uint64_t first_logical) {
    TreeFreer freer{*this, inode, first_logical};
    for (unsigned slot = 0; slot < kDirectBlocks; ++slot) {
        TORO_TRY(freer.free_tree(&inode->block[slot], 0, slot, 1));
    }
    std::uint64_t p = pointers_per_block_;
    std::uint64_t base = kDirectBlocks;
    std::uint64_t span = p;
    for (unsigned depth = 1; depth <= 3; ++depth) {
        TORO_TRY(freer.free_tree(&inode->block[kSingleIndirect + depth - 1], depth, base, span));
        base += span;
        span *= p;
    }
    return Error::kOk;
}

}  // namespace toro::ext2
