#pragma once
// "Did you mean ...?" for misspelt names: the Damerau-Levenshtein distance (optimal string
// alignment variant: insertions, deletions, substitutions and transpositions of neighbours).
#include <cstddef>
#include <string>
#include <vector>

namespace ps::runs {

std::size_t editDistance(const std::string& a, const std::string& b);

// The candidate closest to `name` when it is close enough to be a plausible typo (distance at
// most max(2, length / 3)), else "". Comparison ignores ASCII case; ties go to the earlier one.
std::string closestName(const std::string& name, const std::vector<std::string>& candidates);

} // namespace ps::runs
