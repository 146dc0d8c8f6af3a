#include "common/error.h"

#include <cstring>

namespace alfs {

SystemError::SystemError(const std::string& what, int err) : Error(what + ": " + std::strerror(err)), code_(err) {}

}  // namespace alfs
