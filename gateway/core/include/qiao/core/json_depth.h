// A guard for untrusted JSON: the recursive parsers and encoders we use (nlohmann) can be
// driven into a stack overflow by a body such as a megabyte of '['. Check the depth first.
#pragma once

#include <string_view>

namespace qiao {

// The deepest [ / { nesting in JSON text (string contents skipped), stopping as soon as it
// exceeds stop_at.
int jsonNestingDepth(std::string_view text, int stop_at);

}  // namespace qiao
