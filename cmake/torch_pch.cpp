// Anchor translation unit of ps_torch_pch, the target whose precompiled <torch/torch.h> every
// torch-using target reuses (see the top-level CMakeLists.txt).
namespace ps {
int torchPchAnchor() { return 0; }
} // namespace ps
