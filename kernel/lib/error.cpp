#include "toro/error.h"

namespace toro {

const char* error_message(Error error) {
    switch (error) {
        case Error::kOk: return "Success";
        case Error::kNotPermitted: return "Operation not permitted";
        case Error::kNoEntry: return "No such file or directory";
        case Error::kIo: return "Input/output error";
        case Error::kBadDescriptor: return "Bad file descriptor";
        case Error::kWouldBlock: return "Resource temporarily unavailable";
        case Error::kNoMemory: return "Cannot allocate memory";
        case Error::kBusy: return "Device or resource busy";
        case Error::kExists: return "File exists";
        case Error::kCrossDevice: return "Invalid cross-device link";
        case Error::kNoDevice: return "No such device";
        case Error::kNotDirectory: return "Not a directory";
        case Error::kIsDirectory: return "Is a directory";
        case Error::kInvalid: return "Invalid argument";
        case Error::kTooManyOpen: return "Too many open files";
        case Error::kFileTooBig: return "File too large";
        case Error::kNoSpace: return "No space left on device";
        case Error::kReadOnly: return "Read-only file system";
        case Error::kTooManyLinks: return "Too many links";
        case Error::kBrokenPipe: return "Broken pipe";
        case Error::kRange: return "Numerical result out of range";
        case Error::kNameTooLong: return "File name too long";
        case Error::kNotEmpty: return "Directory not empty";
        case Error::kLoop: return "Too many levels of symbolic links";
        case Error::kOverflow: return "Value too large for defined data type";
        case Error::kDestinationRequired: return "Destination address required";
        case Error::kMessageTooLong: return "Message too long";
        case Error::kNotSupported: return "Operation not supported";
        case Error::kAddressInUse: return "Address already in use";
        case Error::kAddressNotAvailable: return "Cannot assign requested address";
        case Error::kNetworkDown: return "Network is down";
        case Error::kNetworkUnreachable: return "Network is unreachable";
        case Error::kConnectionAborted: return "Software caused connection abort";
        case Error::kConnectionReset: return "Connection reset by peer";
        case Error::kNoBufferSpace: return "No buffer space available";
        case Error::kIsConnected: return "Transport endpoint is already connected";
        case Error::kNotConnected: return "Transport endpoint is not connected";
        case Error::kTimedOut: return "Connection timed out";
        case Error::kConnectionRefused: return "Connection refused";
        case Error::kHostUnreachable: return "No route to host";
        case Error::kAlready: return "Operation already in progress";
        case Error::kCorrupt: return "Structure needs cleaning";
    }
    return "Unknown error";
}

}  // namespace toro
