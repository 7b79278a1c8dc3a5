// Errors as values. Codes and meanings follow POSIX errno, so a POSIX
// programmer recognises them; the numbers are Linux's, which keeps test
// output and host comparisons simple.
#pragma once

#include <utility>

namespace toro {

enum class [[nodiscard]] Error : int {
    kOk = 0,
    kNotPermitted = 1,       // EPERM
    kNoEntry = 2,            // ENOENT
    kIo = 5,                 // EIO
    kBadDescriptor = 9,      // EBADF
    kWouldBlock = 11,        // EAGAIN: not now; a non-blocking call would have to wait
    kNoMemory = 12,          // ENOMEM
    kBusy = 16,              // EBUSY
    kExists = 17,            // EEXIST
    kCrossDevice = 18,       // EXDEV
    kNoDevice = 19,          // ENODEV
    kNotDirectory = 20,      // ENOTDIR
    kIsDirectory = 21,       // EISDIR
    kInvalid = 22,           // EINVAL
    kTooManyOpen = 24,       // EMFILE
    kFileTooBig = 27,        // EFBIG
    kNoSpace = 28,           // ENOSPC
    kReadOnly = 30,          // EROFS
    kTooManyLinks = 31,      // EMLINK
    kBrokenPipe = 32,        // EPIPE: the stream was shut down for writing
    kRange = 34,             // ERANGE
    kNameTooLong = 36,       // ENAMETOOLONG
    kNotEmpty = 39,          // ENOTEMPTY
    kLoop = 40,              // ELOOP
    kOverflow = 75,          // EOVERFLOW
    kDestinationRequired = 89,  // EDESTADDRREQ
    kMessageTooLong = 90,    // EMSGSIZE
    kNotSupported = 95,      // EOPNOTSUPP
    kAddressInUse = 98,      // EADDRINUSE
    kAddressNotAvailable = 99,  // EADDRNOTAVAIL
    kNetworkDown = 100,      // ENETDOWN
    kNetworkUnreachable = 101,  // ENETUNREACH
    kConnectionAborted = 103,  // ECONNABORTED
    kConnectionReset = 104,  // ECONNRESET
    kNoBufferSpace = 105,    // ENOBUFS
    kIsConnected = 106,      // EISCONN
    kNotConnected = 107,     // ENOTCONN
    kTimedOut = 110,         // ETIMEDOUT
    kConnectionRefused = 111,  // ECONNREFUSED
    kHostUnreachable = 113,  // EHOSTUNREACH
    kAlready = 114,          // EALREADY: a connect is in progress
    kCorrupt = 117,          // EUCLEAN: the structure on disk is damaged
};

// "No such file or directory", as strerror says it.
const char* error_message(Error error);

// A value or the error that prevented it. Both are [[nodiscard]]: an
// error dropped on the floor is a compile error in the kernel (-Werror);
// where dropping one is right, `(void)` and a comment say why.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
    // Error::kOk is not an error, and a Result made of it would say "ok"
    // about a value nobody set: it is kept an error, kInvalid.
    Result(Error error) : error_(error == Error::kOk ? Error::kInvalid : error) {}  // NOLINT
    bool ok() const { return error_ == Error::kOk; }
    Error error() const { return error_; }
    T& value() { return value_; }
    const T& value() const { return value_; }
    T& operator*() { return value_; }
    T* operator->() { return &value_; }

private:
    T value_{};
    Error error_ = Error::kOk;
};

}  // namespace toro

// Returns the error of an expression that yields Error, if it is one.
#define TORO_TRY(expression)                                              \
    do {                                                                  \
        ::toro::Error toro_try_error_ = (expression);                     \
        if (toro_try_error_ != ::toro::Error::kOk) return toro_try_error_; \
    } while (0)
