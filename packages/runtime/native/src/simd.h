// Portable SIMD vectors through GCC/Clang vector extensions. The addon is compiled on the machine that
// runs it (-march=native), so the widest unit the CPU has is used: 16 lanes with AVX-512, 8 with AVX2.
#pragma once
#include <cstring>

namespace samnative {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif

typedef float vfloat __attribute__((vector_size(kLanes * sizeof(float))));

inline vfloat vload(const float* p) {
  vfloat v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void vstore(float* p, vfloat v) { std::memcpy(p, &v, sizeof v); }
inline vfloat vsplat(float a) { return vfloat{} + a; }

}  // namespace samnative
