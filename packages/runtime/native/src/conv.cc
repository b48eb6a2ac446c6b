#include "conv.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "conv_rows.h"
#include "parallel.h"
#include "simd.h"

namespace samnative {
namespace {

// Register tiles: MR output rows x NV vectors of output columns (see gemm_tile and filter_tile).
#if defined(__AVX512F__)
constexpr int kRowsOneVector = 12;
constexpr int kRowsTwoVectors = 12;
constexpr int kFilterRowsOneVector = 16;
constexpr int kFilterRowsTwoVectors = 12;
#else
constexpr int kRowsOneVector = 8;
constexpr int kRowsTwoVectors = 6;
constexpr int kFilterRowsOneVector = 12;
constexpr int kFilterRowsTwoVectors = 6;
#endif

// Packed right-hand panels are kept near this size so that they stay in the L2 cache while a range
// of row tiles streams past them.
constexpr int64_t kPanelBytes = 128 * 1024;

// Products with at most this many row ranges pack each column panel in the work item that uses it (measured:
// 2 helps PreAct ResNet-18's 4x4 and 8x8 layers at 8 images; with 3 or 4 the repeated packing costs what it saves).
constexpr int64_t kPackPerItemMaxRowItems = 2;

// Independent partial sums of the filter gradient (enough to balance two to four threads).
constexpr int kFilterGroups = 4;

/**
 * Grow-only scratch memory reused across calls, one set per thread: kernels run one at a time from the
 * JavaScript thread, or (grouped convolutions) one group per pool thread, each inside a SerialRegion.
 */
float* scratch(int slot, size_t floats) {
  thread_local std::vector<float> buffers[4];
  if (buffers[slot].size() < floats) buffers[slot].resize(floats);
  return buffers[slot].data();
}

/**
 * p, through an empty asm statement the optimizer cannot see into: each row pointer stays its own register instead of
 * being folded into one shared index (see gemm_tile). GCC and Clang, which the vector extensions need anyway.
 */
inline const float* keep_in_register(const float* p) {
  asm("" : "+r"(p));
  return p;
}

/**
 * out[r][0..NV*L) (+)= sum_s sum_k a_rows[s][r][k] * b[s*seglen + k][0..NV*L): one register tile of an
 * indirect matrix product, where every row brings its own pointer for every segment (a filter row).
 */
template <int MR, int NV>
void gemm_tile(const float* const* a_rows, int segments, int seglen, const float* b, float* const* out_rows,
               int64_t out_offset, bool accumulate) {
  vfloat acc[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = accumulate ? vload(out_rows[r] + out_offset + v * kLanes) : vfloat{};
  for (int s = 0; s < segments; s++) {
    const float* rows[MR];
    for (int r = 0; r < MR; r++) rows[r] = a_rows[s * MR + r];
    const float* bs = b + (int64_t)s * seglen * NV * kLanes;
    int k0 = 0;
    if (NV == 1) {
      // With one vector of columns (16 channels on AVX-512) each product is one broadcast FMA, and the compiler's
      // shared index (row + k) makes every one an indexed memory operand, which x86 cores split into two uops at
      // issue: the loop was issue-bound. Four depths at a time from row pointers that each advance (kept apart by
      // keep_in_register) give base + constant operands instead. The same products in the same order per output:
      // results are unchanged, bit for bit. Measured, ResNet-20's 16-channel 3x3 layers at batch 128, 2 threads:
      // forward about 255 -> 275 GFLOP/s, input gradient 250 -> 270 (best of 8 calls).
      for (; k0 + 4 <= seglen; k0 += 4) {
        const vfloat b0 = vload(bs + (int64_t)k0 * kLanes), b1 = vload(bs + (int64_t)(k0 + 1) * kLanes);
        const vfloat b2 = vload(bs + (int64_t)(k0 + 2) * kLanes), b3 = vload(bs + (int64_t)(k0 + 3) * kLanes);
        for (int r = 0; r < MR; r++) {
          acc[r][0] += rows[r][0] * b0;
          acc[r][0] += rows[r][1] * b1;
          acc[r][0] += rows[r][2] * b2;
          acc[r][0] += rows[r][3] * b3;
          rows[r] = keep_in_register(rows[r] + 4);
        }
      }
    }
    for (int k = k0; k < seglen; k++) {
      vfloat bv[NV];
      for (int v = 0; v < NV; v++) bv[v] = vload(bs + (int64_t)k * NV * kLanes + v * kLanes);
      for (int r = 0; r < MR; r++) {
        const float a = rows[r][k - k0];
        for (int v = 0; v < NV; v++) acc[r][v] += a * bv[v];
      }
    }
  }
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) vstore(out_rows[r] + out_offset + v * kLanes, acc[r][v]);
}

/**
 * out_rows(m)[0..columns) = sum_s sum_k (base(m) + segment_offsets[s])[k] * b[s][k][columns] for m in
 * [0, rows), where b ([segments][seglen][columns], depth index k' = s * seglen + k) is given by
 * pack(k', c0, width, dst), which writes b[k'][c0 .. c0 + width) to dst: it is packed into NR-wide column panels.
 * Work items are ranges of row tiles times ranges of column panels: with few rows (a small batch, deep layers)
 * the panels, not the rows, give every thread work. Every output element is computed by the same sequence of
 * operations however the items fall, so the result does not depend on the thread count.
 */
template <int MR, int NV, typename Rows, typename Pack>
void indirect_gemm(int64_t rows, int segments, int seglen, const int64_t* segment_offsets, int columns, const Pack& pack,
                   const Rows& source) {
  constexpr int NR = NV * kLanes;
  const int blocks = (columns + NR - 1) / NR;
  const int64_t depth = (int64_t)segments * seglen;
  const int64_t tiles = (rows + MR - 1) / MR;
  const int64_t tiles_per_item = std::max<int64_t>(1, 192 / MR);
  const int64_t row_items = (tiles + tiles_per_item - 1) / tiles_per_item;
  const auto pack_block = [&](int64_t block, int64_t k_begin, int64_t k_end, float* block_panel) {
    const int c0 = (int)block * NR, width = std::min(NR, columns - c0);
    for (int64_t k = k_begin; k < k_end; k++) {
      float* dst = block_panel + k * NR;
      pack(k, c0, width, dst);
      std::fill(dst + width, dst + NR, 0.0f);
    }
  };
  // With few row ranges (a small batch) each work item packs its own column panels right before using them, in
  // its thread's cache, instead of all panels being packed to memory first and read back.
  const bool pack_per_item = row_items <= kPackPerItemMaxRowItems;
  float* packed = pack_per_item ? nullptr : scratch(1, (size_t)blocks * depth * NR);
  if (!pack_per_item) {
    parallel_for(blocks * depth, 256, [&](int64_t begin, int64_t end, int) {
      for (int64_t i = begin; i < end;) {
        const int64_t block = i / depth, k = i % depth, k_end = std::min(depth, k + (end - i));
        pack_block(block, k, k_end, packed + block * depth * NR);
        i += k_end - k;
      }
    });
  }
  const int64_t panel_segments = std::max<int64_t>(1, std::min<int64_t>(segments, kPanelBytes / ((int64_t)seglen * NR * 4 + 1)));
  // About four items a thread; split the column panels only when the row ranges are too few.
  const int64_t wanted = 4 * (int64_t)thread_count();
  const int64_t column_items = row_items >= wanted ? 1 : std::min<int64_t>(blocks, (wanted + row_items - 1) / row_items);
  const int64_t blocks_per_item = (blocks + column_items - 1) / column_items;

  parallel_for(row_items * column_items, 1, [&](int64_t item_begin, int64_t item_end, int) {
    std::vector<const float*> a_rows((size_t)tiles_per_item * segments * MR);
    std::vector<float*> out_rows((size_t)tiles_per_item * MR);
    const float* bases[MR];
    float scratch_tile[MR * NR];
    float* scratch_rows[MR];
    for (int r = 0; r < MR; r++) scratch_rows[r] = scratch_tile + r * NR;
    for (int64_t item = item_begin; item < item_end; item++) {
      const int64_t tile_begin = item / column_items * tiles_per_item;
      const int64_t block_begin = item % column_items * blocks_per_item;
      const int64_t block_end = std::min<int64_t>(blocks, block_begin + blocks_per_item);
      const int64_t count = std::min(tiles_per_item, tiles - tile_begin);
      const auto& rows_of_item = source.view(tile_begin * MR, std::min(rows, (tile_begin + count) * MR));
      for (int64_t t = 0; t < count; t++) {
        const int64_t m0 = (tile_begin + t) * MR;
        const int valid = (int)std::min<int64_t>(MR, rows - m0);
        rows_of_item.fill(m0, valid, bases, out_rows.data() + t * MR);
        for (int r = valid; r < MR; r++) {  // tail rows repeat the last row; their results are dropped
          bases[r] = bases[valid - 1];
          out_rows[t * MR + r] = nullptr;
        }
        for (int s = 0; s < segments; s++)
          for (int r = 0; r < MR; r++) a_rows[(t * segments + s) * MR + r] = bases[r] + segment_offsets[s];
      }
      for (int64_t block = block_begin; block < block_end; block++) {
        const int c0 = (int)block * NR, width = std::min(NR, columns - c0);
        const float* block_panel = packed + block * depth * NR;
        if (pack_per_item) {
          float* own = scratch(3, (size_t)depth * NR);
          pack_block(block, 0, depth, own);
          block_panel = own;
        }
        for (int64_t s0 = 0; s0 < segments; s0 += panel_segments) {
          const int group = (int)std::min<int64_t>(panel_segments, segments - s0);
          const float* panel = block_panel + s0 * seglen * NR;
          const bool accumulate = s0 > 0;
          for (int64_t t = 0; t < count; t++) {
            const float* const* tile_a = a_rows.data() + (t * segments + s0) * MR;
            float* const* tile_out = out_rows.data() + t * MR;
            const bool full_rows = (tile_begin + t + 1) * MR <= rows;
            if (full_rows && width == NR) {
              gemm_tile<MR, NV>(tile_a, group, seglen, panel, tile_out, c0, accumulate);
            } else {
              // A partial tile runs in scratch that starts from the output's values, so each of its rows gets the
              // operations of a row in a full tile: an image's result does not depend on where it falls in the
              // batch (a grouped convolution equals the dense one on the same filter, bit for bit).
              for (int r = 0; r < MR; r++) {
                const float* out = tile_out[r];
                for (int c = 0; c < NR; c++) scratch_tile[r * NR + c] = accumulate && out && c < width ? out[c0 + c] : 0.0f;
              }
              gemm_tile<MR, NV>(tile_a, group, seglen, panel, scratch_rows, 0, accumulate);
              for (int r = 0; r < MR; r++) {
                float* out = tile_out[r];
                if (!out) continue;
                for (int c = 0; c < width; c++) out[c0 + c] = scratch_tile[r * NR + c];
              }
            }
          }
        }
      }
    }
  });
}

template <typename Rows, typename Pack>
void run_indirect_gemm(int64_t rows, int segments, int seglen, const int64_t* segment_offsets, int columns, const Pack& pack,
                       const Rows& source) {
  // One vector of columns when that wastes less of the last panel (e.g. 16 or 48 channels).
  if (columns % (2 * kLanes) == 0 || columns > 4 * kLanes)
    indirect_gemm<kRowsTwoVectors, 2>(rows, segments, seglen, segment_offsets, columns, pack, source);
  else
    indirect_gemm<kRowsOneVector, 1>(rows, segments, seglen, segment_offsets, columns, pack, source);
}

/** dw[r][v] = (accumulate ? dw[r][v] : 0) + sum_m (bases[m] + offset)[r] * dy[m][v]: one register tile of the filter gradient. */
template <int MR, int NV>
void filter_tile(const float* const* bases, int64_t offset, int64_t count, const float* dy, int64_t dy_stride, float* dw,
                 int64_t dw_stride, bool accumulate) {
  vfloat acc[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = vfloat{};
  for (int64_t m = 0; m < count; m++) {
    // The window's address formed once (keep_in_register): otherwise the compiler keeps offset + 4 r in a register
    // per row and reads through indexed operands, split in two at issue and short of registers (spilled).
    const float* xr = keep_in_register(bases[m] + offset);
    const float* d = dy + m * dy_stride;
    vfloat dv[NV];
    for (int v = 0; v < NV; v++) dv[v] = vload(d + v * kLanes);
    for (int r = 0; r < MR; r++) {
      const float a = xr[r];
      for (int v = 0; v < NV; v++) acc[r][v] += a * dv[v];
    }
  }
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) {
      float* out = dw + r * dw_stride + v * kLanes;
      vstore(out, accumulate ? vload(out) + acc[r][v] : acc[r][v]);
    }
}

using FilterTileFn = void (*)(const float* const*, int64_t, int64_t, const float*, int64_t, float*, int64_t, bool);

template <int NV, int... R>
constexpr std::array<FilterTileFn, sizeof...(R)> filter_tiles(std::integer_sequence<int, R...>) {
  return {&filter_tile<R + 1, NV>...};
}

template <int MR, int NV>
void backprop_filter(const float* x, const float* dy, float* dw, const ConvShape& s) {
  constexpr int NR = NV * kLanes;
  static constexpr auto tiles = filter_tiles<NV>(std::make_integer_sequence<int, MR>{});
  const int ci = s.in_channels, co = s.out_channels;
  const int co_padded = (co + NR - 1) / NR * NR;
  const bool copy_dy = co_padded != co;
  // Each pixel chunk reads its windows through a Strip (conv_rows.h): copied with zero borders into its thread's
  // cache, or in x itself when no window leaves it; a filter row's taps are contiguous there: row kh covers
  // filter_width * ci values.
  const int row_length = s.filter_width * ci;
  const int64_t rows = (int64_t)s.batch * s.out_height * s.out_width;
  // Pixels per work item: x and dy rows of a chunk stay in cache while every tile sweeps them, and at
  // least 256, so that the read-modify-write of the partial gradient is amortized when it is large.
  const int64_t chunk = std::clamp<int64_t>(65536 / (row_length + co_padded), 256, 4096);
  const int64_t partial_size = (int64_t)s.filter_height * row_length * co_padded;
  // Pixel chunks are summed in a fixed number of groups (each group serially, in order) and the group
  // sums are added in group order, so the result does not depend on thread count or scheduling.
  const int64_t items = (rows + chunk - 1) / chunk;
  const int64_t wanted_groups = std::min<int64_t>(partial_size > (1 << 20) ? 2 : kFilterGroups, items);
  if (wanted_groups == 0) {
    std::fill(dw, dw + (int64_t)s.filter_height * row_length * co, 0.0f);
    return;
  }
  const int64_t items_per_group = (items + wanted_groups - 1) / wanted_groups;
  // Groups left without items (e.g. 5 items in groups of 2) would add zeros: they are left out.
  const int groups = (int)((items + items_per_group - 1) / items_per_group);
  // With a single group and no column padding the group's sum is the gradient itself: no partial buffer.
  const bool direct = groups == 1 && !copy_dy;
  float* partials = direct ? dw : scratch(2, (size_t)groups * partial_size);
  // Work items are (group, slice of the gradient's tile rows): with fewer groups than threads (few pixels: a small
  // batch, deep layers) the gradient's rows give every thread work. A slice changes no element's order of
  // summation, but each slice reads its group's x and dy again: with a group per thread there is one slice
  // (measured: slicing ResNet-20's filter gradients at batch 128 cost +24%).
  const int row_tiles = (row_length + MR - 1) / MR;
  const int64_t tile_rows = (int64_t)s.filter_height * row_tiles;
  const int64_t wanted = 4 * (int64_t)thread_count();
  const int64_t slices = groups >= thread_count() ? 1 : std::min<int64_t>(tile_rows, (wanted + groups - 1) / groups);
  const int64_t rows_per_slice = (tile_rows + slices - 1) / slices;

  const Strip strip = Strip::over(x, s.in_height, s.in_width, ci, s.out_height, s.out_width, s.stride_height, s.stride_width, -s.pad_top,
                                  -s.pad_left, s.filter_height, s.filter_width);
  const ForwardRows windows{strip, nullptr, co};

  parallel_for(groups * slices, 1, [&](int64_t item_begin, int64_t item_end, int) {
    std::vector<const float*> bases(chunk);
    std::vector<float> dy_copy(copy_dy ? (size_t)chunk * co_padded : 0, 0.0f);
    for (int64_t work = item_begin; work < item_end; work++) {
      const int64_t group = work / slices, slice = work % slices;
      const int64_t tile_begin = slice * rows_per_slice, tile_end = std::min(tile_rows, tile_begin + rows_per_slice);
      float* partial = partials + group * partial_size;
      const int64_t item_first = group * items_per_group, item_end_ = std::min(items, (group + 1) * items_per_group);
      for (int64_t item = item_first; item < item_end_; item++) {
        const int64_t m0 = item * chunk, count = std::min(chunk, rows - m0);
        windows.view(m0, m0 + count).fill(m0, (int)count, bases.data(), nullptr);
        const float* dy_chunk = dy + m0 * co;
        int64_t dy_stride = co;
        if (copy_dy) {
          for (int64_t i = 0; i < count; i++)
            std::copy(dy + (m0 + i) * co, dy + (m0 + i + 1) * co, dy_copy.begin() + i * co_padded);
          dy_chunk = dy_copy.data();
          dy_stride = co_padded;
        }
        const bool accumulate = item > item_first;  // the group's first chunk stores: no zero fill
        for (int64_t tile_row = tile_begin; tile_row < tile_end; tile_row++) {
          const int kh = (int)(tile_row / row_tiles), c0 = (int)(tile_row % row_tiles) * MR;
          const int64_t row_offset = (int64_t)kh * strip.row_width * ci;
          const int height = std::min(MR, row_length - c0);
          for (int b0 = 0; b0 < co_padded; b0 += NR) {
            tiles[height - 1](bases.data(), row_offset + c0, count, dy_chunk + b0, dy_stride,
                              partial + ((int64_t)kh * row_length + c0) * co_padded + b0, co_padded, accumulate);
          }
        }
      }
    }
  });
  if (direct) return;
  const int64_t out_rows = (int64_t)s.filter_height * row_length;
  parallel_for(out_rows, 64, [&](int64_t begin, int64_t end, int) {
    for (int64_t row = begin; row < end; row++) {
      for (int c = 0; c < co; c++) {
        float sum = 0.0f;
        for (int g = 0; g < groups; g++) sum += partials[g * partial_size + row * co_padded + c];
        dw[row * co + c] = sum;
      }
    }
  });
}

}  // namespace

void conv2d_forward(const float* x, const float* w, float* y, const ConvShape& s) {
  const int ci = s.in_channels, co = s.out_channels;
  const Strip strip = Strip::over(x, s.in_height, s.in_width, ci, s.out_height, s.out_width, s.stride_height, s.stride_width, -s.pad_top,
                                  -s.pad_left, (s.filter_height - 1) * s.dilation_height + 1, (s.filter_width - 1) * s.dilation_width + 1);
  // Without dilation a filter row's taps are contiguous: one segment of filter_width * ci values per
  // filter row; with dilation, one segment per tap. w is [taps][ci][co], i.e. [segments][seglen][co].
  std::vector<int64_t> offsets;
  int seglen = ci;
  if (s.dilation_width == 1) {
    seglen = s.filter_width * ci;
    for (int kh = 0; kh < s.filter_height; kh++) offsets.push_back((int64_t)kh * s.dilation_height * strip.row_width * ci);
  } else {
    for (int kh = 0; kh < s.filter_height; kh++)
      for (int kw = 0; kw < s.filter_width; kw++)
        offsets.push_back(((int64_t)kh * s.dilation_height * strip.row_width + (int64_t)kw * s.dilation_width) * ci);
  }
  const int64_t rows = (int64_t)s.batch * s.out_height * s.out_width;
  const auto pack = [&](int64_t k, int c0, int width, float* dst) { std::copy(w + k * co + c0, w + k * co + c0 + width, dst); };
  run_indirect_gemm(rows, (int)offsets.size(), seglen, offsets.data(), co, pack, ForwardRows{strip, y, co});
}

void conv2d_backprop_input(const float* dy, const float* w, float* dx, const ConvShape& s) {
  const int ci = s.in_channels, co = s.out_channels, sh = s.stride_height, sw = s.stride_width;
  // Class (a, b): dx pixels with (ih + pad_top) % sh == a, (iw + pad_left) % sw == b, reached by taps
  // kh = a + i*sh (i < nh) from dy row q - i, where q = (ih + pad_top - a) / sh; likewise for columns.
  struct Class {
    int a, b, nh, nw, first_h, first_w, count_h, count_w, q0_h, q0_w;
  };
  std::vector<Class> classes;
  for (int a = 0; a < sh; a++) {
    for (int b = 0; b < sw; b++) {
      Class c{a, b, 0, 0, 0, 0, 0, 0, 0, 0};
      c.nh = a < s.filter_height ? (s.filter_height - a + sh - 1) / sh : 0;
      c.nw = b < s.filter_width ? (s.filter_width - b + sw - 1) / sw : 0;
      c.first_h = ((a - s.pad_top) % sh + sh) % sh;
      c.first_w = ((b - s.pad_left) % sw + sw) % sw;
      c.count_h = c.first_h < s.in_height ? (s.in_height - c.first_h + sh - 1) / sh : 0;
      c.count_w = c.first_w < s.in_width ? (s.in_width - c.first_w + sw - 1) / sw : 0;
      if (c.count_h == 0 || c.count_w == 0) continue;
      c.q0_h = (c.first_h + s.pad_top - a) / sh;
      c.q0_w = (c.first_w + s.pad_left - b) / sw;
      classes.push_back(c);
    }
  }
  for (const Class& c : classes) {
    const int64_t rows = (int64_t)s.batch * c.count_h * c.count_w;
    if (c.nh == 0 || c.nw == 0) {  // no tap reaches these pixels: zero gradient
      parallel_for(rows, 256, [&](int64_t begin, int64_t end, int) {
        const int64_t per_image = (int64_t)c.count_h * c.count_w;
        for (int64_t m = begin; m < end; m++) {
          const int n = (int)(m / per_image), i = (int)(m % per_image) / c.count_w, j = (int)(m % per_image) % c.count_w;
          float* out = dx + (((int64_t)n * s.in_height + c.first_h + i * sh) * s.in_width + c.first_w + j * sw) * ci;
          std::fill(out, out + ci, 0.0f);
        }
      });
      continue;
    }
    // The class's dy windows: class pixel (i, j) reads dy rows q0_h - (nh - 1) + i .. and nw pixels from column
    // q0_w - (nw - 1) + j, zeros outside dy.
    const Strip strip = Strip::over(dy, s.out_height, s.out_width, co, c.count_h, c.count_w, 1, 1, c.q0_h - (c.nh - 1),
                                    c.q0_w - (c.nw - 1), c.nh, c.nw);
    const BackpropInputRows source{strip, dx, s.in_height, s.in_width, ci, sh, sw, c.first_h, c.first_w};
    // Segment i is dy row q - i (offset (nh-1-i) rows below the window corner), covering the nw dy
    // pixels q_w - (nw-1) .. q_w, i.e. taps j = nw-1 .. 0: b[i][nw-1-j][o][x] = w[kh_i][kw_j][x][o], read from w
    // while packing (consecutive depth indices k share w's cache lines, so the transpose costs no extra pass).
    const auto pack = [&](int64_t k, int c0, int width, float* dst) {
      const int o = (int)(k % co), tap = (int)(k / co), i = tap / c.nw, j = c.nw - 1 - tap % c.nw;
      const int kh = c.a + i * sh, kw = c.b + j * sw;
      const float* src = w + (((int64_t)kh * s.filter_width + kw) * ci + c0) * co + o;
      for (int x = 0; x < width; x++) dst[x] = src[(int64_t)x * co];
    };
    std::vector<int64_t> offsets(c.nh);
    for (int i = 0; i < c.nh; i++) offsets[i] = (int64_t)(c.nh - 1 - i) * strip.row_width * co;
    run_indirect_gemm(rows, c.nh, c.nw * co, offsets.data(), ci, pack, source);
  }
}

void conv2d_backprop_filter(const float* x, const float* dy, float* dw, const ConvShape& s) {
  if (s.out_channels % (2 * kLanes) == 0)
    backprop_filter<kFilterRowsTwoVectors, 2>(x, dy, dw, s);
  else
    backprop_filter<kFilterRowsOneVector, 1>(x, dy, dw, s);
}

}  // namespace samnative
