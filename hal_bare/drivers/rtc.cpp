// The CMOS real-time clock (Motorola MC146818A, as PC chipsets and QEMU's
// mc146818rtc model it): the time of day. It is read once, on first use,
// and then advanced by the monotonic clock, so later readings cost no port
// I/O and never go back when the RTC's second ticks over.
#include <cstdint>

#include "bare.h"
#include "hal/clock.h"

namespace bare {

namespace {

// The index and data ports; bit 7 of the index would mask NMIs, and stays clear.
constexpr std::uint16_t kIndexPort = 0x70, kDataPort = 0x71;
// Registers (MC146818A datasheet, address map). The century byte at 0x32
// is the IBM PC/AT's convention, which QEMU keeps.
constexpr std::uint8_t kSeconds = 0x00, kMinutes = 0x02, kHours = 0x04, kDay = 0x07,
                       kMonth = 0x08, kYear = 0x09, kStatusA = 0x0A, kStatusB = 0x0B,
                       kCentury = 0x32;
constexpr std::uint8_t kUpdateInProgress = 1u << 7;  // status A: the time is changing
constexpr std::uint8_t kBinary = 1u << 2, k24Hour = 1u << 1;  // status B: data mode
constexpr std::uint8_t kPm = 1u << 7;                        // hours, in 12-hour mode

struct CalendarTime {
    unsigned year, month, day, hour, minute, second;
};

std::uint8_t read_register(std::uint8_t index) {
    out8(kIndexPort, index);
    return in8(kDataPort);
}

// A field as stored: BCD unless status B says binary; 0xFF (no RTC) or a
// bad BCD digit gives a value no range check accepts.
unsigned decode(std::uint8_t value, bool binary) {
    if (binary) return value;
    if ((value & 0x0F) > 9 || (value >> 4) > 9) return 99;
    return (value >> 4) * 10 + (value & 0x0F);
}

// The fields, read while no update is in progress (an update takes under
// 2 ms); false if the RTC never settles.
bool read_fields(std::uint8_t fields[7]) {
    std::uint64_t deadline = hal::deadline_after(20'000'000);
    while (read_register(kStatusA) & kUpdateInProgress) {
        if (hal::clock_now_ns() > deadline) return false;
    }
    const std::uint8_t registers[7] = {kSeconds, kMinutes, kHours, kDay, kMonth, kYear, kCentury};
    for (int i = 0; i < 7; ++i) fields[i] = read_register(registers[i]);
    return true;
}

// Two equal readings in a row: an update between them would tear the time.
bool read_calendar(CalendarTime* time) {
    std::uint8_t first[7], second[7];
    if (!read_fields(first)) return false;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (!read_fields(second)) return false;
        bool same = true;
        for (int i = 0; i < 7; ++i) same = same && first[i] == second[i];
        if (same) break;
        for (int i = 0; i < 7; ++i) first[i] = second[i];
    }
    std::uint8_t mode = read_register(kStatusB);
    bool binary = mode & kBinary;
    unsigned hour = decode(first[2] & ~kPm, binary);
    if (!(mode & k24Hour)) hour = hour % 12 + ((first[2] & kPm) ? 12 : 0);
    unsigned century = decode(first[6], binary);
    if (century < 19 || century > 21) century = 20;  // no century byte: this one
    *time = {century * 100 + decode(first[5], binary), decode(first[4], binary),
             decode(first[3], binary), hour, decode(first[1], binary), decode(first[0], binary)};
    return time->year >= 1970 && time->month >= 1 && time->month <= 12 && time->day >= 1 &&
           time->day <= 31 && time->hour < 24 && time->minute < 60 && time->second < 60;
}

bool is_leap(unsigned year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

std::uint64_t seconds_since_epoch(const CalendarTime& time) {
    static constexpr unsigned kDaysBefore[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    std::uint64_t days = 0;
    for (unsigned year = 1970; year < time.year; ++year) days += is_leap(year) ? 366 : 365;
    days += kDaysBefore[time.month - 1] + (time.month > 2 && is_leap(time.year)) + time.day - 1;
    return ((days * 24 + time.hour) * 60 + time.minute) * 60 + time.second;
}

SpinLock rtc_lock;
bool rtc_read = false;
std::uint64_t wall_minus_monotonic_ns = 0;  // 0: no RTC

}  // namespace

}  // namespace bare

namespace hal {

std::uint64_t clock_wall_ns() {
    using namespace bare;
    SpinLockGuard guard(rtc_lock);
    if (!rtc_read) {
        rtc_read = true;
        CalendarTime time;
        if (read_calendar(&time)) {
            wall_minus_monotonic_ns = seconds_since_epoch(time) * 1'000'000'000 - clock_now_ns();
        }
    }
    return wall_minus_monotonic_ns == 0 ? 0 : wall_minus_monotonic_ns + clock_now_ns();
}

}  // namespace hal
