#pragma once
// A row-major [rows, cols] matrix view (strides s0, s1 in elements) as a BLAS operand (internal
// header; no torch). Used by the direct BLAS calls of model/batched_products.cpp (column-major
// sgemm_, operands swapped) and system/dense_products.cpp (row-major dnnl_sgemm): in both the
// view is 'N' with leading dimension s0 when its rows are contiguous, or 'T' with leading
// dimension s1 when its columns are (the memory then holds the transpose). A dimension of size 1
// may have any stride. ok = false: neither (the caller copies or falls back).
#include <algorithm>
#include <cstdint>

namespace ps::system {

struct RowMajorOperand {
    char trans = 'N';
    std::int64_t ld = 0;
    bool ok = false;
};

inline RowMajorOperand rowMajorOperand(std::int64_t rows, std::int64_t cols, std::int64_t s0, std::int64_t s1) {
    if (s1 == 1 || cols == 1) {
        if (rows == 1)
            return {'N', std::max<std::int64_t>(1, cols), true};
        if (s0 >= std::max<std::int64_t>(1, cols))
            return {'N', s0, true};
    }
    if ((s0 == 1 || rows == 1) && s1 >= std::max<std::int64_t>(1, rows))
        return {'T', s1, true};
    return {};
}

} // namespace ps::system
