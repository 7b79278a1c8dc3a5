// The block cache: a bounded, write-back cache of one disk's blocks,
// between a filesystem and the Devices unit.
//
// - Bounded: at most `capacity` blocks stay in memory; the least recently
//   used unpinned block makes room (written back first if dirty).
// - Write-back: a modified block is only marked dirty; flush() writes every
//   dirty block in ascending order, contiguous runs as one request, then
//   asks the disk to make them durable.
// - Read-ahead: a miss right after a miss on the previous block reads a
//   window of following blocks in the same request; the window doubles
//   while the pattern holds.
// - Bulk reads (read_blocks) for large file reads go straight into the
//   caller's buffer and take dirty blocks from the cache: one copy, and
//   streaming a file does not evict the metadata.
//
// Not thread-safe: its owner (one mounted filesystem) serialises calls.
#pragma once

#include <cstddef>
#include <cstdint>

#include "toro/disk.h"
#include "toro/error.h"

namespace toro::fs {

class BlockCache;

struct CachedBlock {
    std::uint64_t number = 0;
    std::uint8_t* data = nullptr;
    bool dirty = false;
    unsigned pins = 0;
    CachedBlock* hash_next = nullptr;
    CachedBlock* lru_previous = nullptr;  // most recent at the list's head
    CachedBlock* lru_next = nullptr;
};

// A pinned block: valid (and not evicted) while the handle lives.
class BlockHandle {
public:
    BlockHandle() = default;
    BlockHandle(BlockCache* cache, CachedBlock* block) : cache_(cache), block_(block) {}
    BlockHandle(BlockHandle&& other) noexcept { *this = static_cast<BlockHandle&&>(other); }
    BlockHandle& operator=(BlockHandle&& other) noexcept;
    BlockHandle(const BlockHandle&) = delete;
    BlockHandle& operator=(const BlockHandle&) = delete;
    ~BlockHandle() { release(); }

    std::uint8_t* data() const { return block_->data; }
    std::uint64_t number() const { return block_->number; }
    void mark_dirty() { block_->dirty = true; }
    void release();

private:
    BlockCache* cache_ = nullptr;
    CachedBlock* block_ = nullptr;
};

struct BlockCacheStats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t blocks_read = 0;      // from the disk, read-ahead included
    std::uint64_t blocks_written = 0;
    std::uint64_t read_requests = 0;
};

class BlockCache {
public:
    // `block_size` is a multiple of the disk's sector size.
    BlockCache(Disk* disk, std::size_t block_size, std::size_t capacity_blocks);
    ~BlockCache();
    BlockCache(const BlockCache&) = delete;
    BlockCache& operator=(const BlockCache&) = delete;

    // False when the cache's memory could not be allocated.
    bool ready() const { return buckets_ != nullptr && staging_ != nullptr; }
    std::size_t block_size() const { return block_size_; }
    std::uint64_t block_count() const { return block_count_; }

    // The block's contents, read from the disk on a miss. kRange for a
    // block past the end of the disk.
    Result<BlockHandle> read(std::uint64_t number);
    // The block, zero-filled and dirty, without reading it: for blocks
    // about to be overwritten whole (new allocations).
    Result<BlockHandle> overwrite(std::uint64_t number);
    // Reads `count` consecutive blocks into `buffer` (16-byte aligned),
    // dirty cached blocks taking precedence over the disk.
    Error read_blocks(std::uint64_t first, std::size_t count, std::uint8_t* buffer);
    // Drops a block without writing it (it was freed on disk).
    void forget(std::uint64_t number);

    Error flush();
    BlockCacheStats stats() const { return stats_; }

private:
    friend class BlockHandle;
    CachedBlock*& bucket(std::uint64_t number);
    CachedBlock* find(std::uint64_t number);
    Result<CachedBlock*> take_free_entry();
    Error write_back(CachedBlock* block);
    Error read_ahead(std::uint64_t first, CachedBlock* target);
    void insert(CachedBlock* block);
    void unlink(CachedBlock* block);
    void touch(CachedBlock* block);
    void unpin(CachedBlock* block);
    Error write_run(CachedBlock** run, std::size_t length);

    Disk* disk_;
    std::size_t block_size_;
    std::size_t sectors_per_block_;
    std::uint64_t block_count_;
    std::size_t capacity_;
    std::size_t used_ = 0;
    CachedBlock** buckets_ = nullptr;
    std::size_t bucket_mask_ = 0;
    CachedBlock* lru_head_ = nullptr;
    CachedBlock* lru_tail_ = nullptr;
    std::uint8_t* staging_ = nullptr;   // read-ahead and write runs
    std::size_t staging_blocks_ = 0;
    std::uint64_t last_miss_ = ~std::uint64_t{0};
    std::size_t ahead_window_ = 0;
    BlockCacheStats stats_;
};

}  // namespace toro::fs
