// The 16550 UART on COM1 as the console (polled transmit).
#include <atomic>

#include "bare.h"
#include "hal/console.h"
#include "hal/cpu.h"

namespace bare {

namespace {

constexpr std::uint16_t kCom1 = 0x3F8;
// Register offsets (16550 datasheet).
constexpr std::uint16_t kData = 0, kInterruptEnable = 1, kFifoControl = 2, kLineControl = 3,
                        kModemControl = 4, kLineStatus = 5;
constexpr std::uint8_t kTransmitHoldingEmpty = 1u << 5;

std::atomic<bool> console_busy{false};

void put(char c) {
    while ((in8(kCom1 + kLineStatus) & kTransmitHoldingEmpty) == 0) {
    }
    out8(kCom1 + kData, static_cast<std::uint8_t>(c));
}

}  // namespace

void serial_initialize() {
    out8(kCom1 + kInterruptEnable, 0x00);
    out8(kCom1 + kLineControl, 0x80);  // divisor latch
    out8(kCom1 + kData, 0x01);         // 115200 baud
    out8(kCom1 + kInterruptEnable, 0x00);
    out8(kCom1 + kLineControl, 0x03);  // 8N1
    out8(kCom1 + kFifoControl, 0xC7);
    out8(kCom1 + kModemControl, 0x03);
}

void serial_write(const char* bytes, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) {
        if (bytes[i] == '\n') put('\r');
        put(bytes[i]);
    }
}

}  // namespace bare

namespace hal {

void console_write(const char* bytes, std::size_t length) {
    while (bare::console_busy.exchange(true, std::memory_order_acquire)) cpu_relax();
    bare::serial_write(bytes, length);
    bare::console_busy.store(false, std::memory_order_release);
}

}  // namespace hal
