// The rows of the indirect matrix products of conv.cc: for each output row (a pixel), where its input
// window starts and where its output goes. Windows with zero borders are read from strips: each work item
// copies the input rows its pixels read, with their zero borders, into a buffer in its thread's cache.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace samnative {

/**
 * Windows over a [batch, src_height, src_width, channels] source on a grid of [batch, grid_height, grid_width]
 * output pixels: pixel (n, oh, ow) reads window_rows source rows from row first_row + oh * stride_height and
 * window_columns pixels per row from column first_column + ow * stride_width; rows and columns outside the source
 * read zeros. When some window leaves the source, view() copies the rows of a range of pixels into a strip
 * (row_width pixels a row, zero borders written out) in its thread's cache, so that a window row is still one
 * contiguous run: the values read, and so the results, equal those of a source padded with zeros in memory,
 * without that padded copy (measured: the padded copy of x or dy cost 14-16% of the convolution time of ResNet-20
 * and PreAct ResNet-18 w16 at batch 128; strips win 8-11% of it). Otherwise windows are read in place (row_width =
 * src_width).
 */
struct Strip {
  const float* src;
  int src_height, src_width, channels;
  int grid_height, grid_width;
  int stride_height, stride_width;
  int first_row, first_column;  // source coordinates of pixel (0, 0)'s window corner (negative: zero border)
  int window_rows, window_columns;
  bool copy;      // some window leaves the source
  int row_width;  // pixels per row where windows are read: the strip's, or the source's

  static Strip over(const float* src, int src_height, int src_width, int channels, int grid_height, int grid_width, int stride_height,
                    int stride_width, int first_row, int first_column, int window_rows, int window_columns) {
    const int last_row = first_row + (grid_height - 1) * stride_height + window_rows;
    const int last_column = first_column + (grid_width - 1) * stride_width + window_columns;
    const bool copy = first_row < 0 || first_column < 0 || last_row > src_height || last_column > src_width;
    return {src, src_height, src_width, channels, grid_height, grid_width, stride_height, stride_width, first_row, first_column,
            window_rows, window_columns, copy, copy ? last_column - first_column : src_width};
  }

  /** The windows of one range of pixels: where each pixel's window corner is. */
  struct View {
    const Strip* strip;
    const float* data;
    const int64_t* image_offsets;  // where the first window row of image first_image + j starts in data
    int first_image, first_grid_row;
    const float* corner(int n, int oh, int ow) const {
      const Strip& s = *strip;
      const int row0 = n == first_image ? first_grid_row : 0;
      return data + image_offsets[n - first_image] +
             ((int64_t)(oh - row0) * s.stride_height * s.row_width + (int64_t)ow * s.stride_width) * s.channels;
    }
  };

  /** The windows of pixels [begin, end) (grid order); a copied strip stays valid until this thread's next view(). */
  View view(int64_t begin, int64_t end) const {
    thread_local std::vector<float> buffer;
    thread_local std::vector<int64_t> offsets;
    const int64_t pixels = (int64_t)grid_height * grid_width;
    const int first_image = (int)(begin / pixels), last_image = (int)((end - 1) / pixels);
    const int first_grid_row = (int)(begin % pixels) / grid_width, last_grid_row = (int)((end - 1) % pixels) / grid_width;
    const int64_t row_floats = (int64_t)row_width * channels;
    // Image n's first source row and how many rows its pixels in the range read.
    const auto rows_of = [&](int n) {
      const int a = n == first_image ? first_grid_row : 0, b = n == last_image ? last_grid_row : grid_height - 1;
      return std::pair<int, int>{first_row + a * stride_height, (b - a) * stride_height + window_rows};
    };
    offsets.assign((size_t)(last_image - first_image + 1), 0);
    if (!copy) {
      for (int n = first_image; n <= last_image; n++)
        offsets[n - first_image] = (((int64_t)n * src_height + rows_of(n).first) * src_width + first_column) * channels;
      return {this, src, offsets.data(), first_image, first_grid_row};
    }
    int64_t floats = 0;
    for (int n = first_image; n <= last_image; n++) {
      offsets[n - first_image] = floats;
      floats += rows_of(n).second * row_floats;
    }
    if (buffer.size() < (size_t)floats) buffer.resize((size_t)floats);
    // The source columns a strip row holds: [first_column, first_column + row_width) clipped to the source.
    const int copy_begin = std::max(0, first_column), copy_end = std::min(src_width, first_column + row_width);
    const int64_t zeros_left = (int64_t)(copy_begin - first_column) * channels;
    const int64_t copied = copy_end > copy_begin ? (int64_t)(copy_end - copy_begin) * channels : 0;
    float* dst = buffer.data();
    for (int n = first_image; n <= last_image; n++) {
      const auto [top, count] = rows_of(n);
      for (int i = 0; i < count; i++, dst += row_floats) {
        const int h = top + i;
        if (h < 0 || h >= src_height || copied == 0) {
          std::fill(dst, dst + row_floats, 0.0f);
          continue;
        }
        std::fill(dst, dst + zeros_left, 0.0f);
        const float* row = src + (((int64_t)n * src_height + h) * src_width + copy_begin) * channels;
        std::copy(row, row + copied, dst + zeros_left);
        std::fill(dst + zeros_left + copied, dst + row_floats, 0.0f);
      }
    }
    return {this, buffer.data(), offsets.data(), first_image, first_grid_row};
  }
};

/** Forward rows: row m is output pixel m, its window is read through a Strip over x. */
struct ForwardRows {
  Strip strip;  // over x, on the output grid
  float* y;     // null when only the window corners are wanted (filter gradient)
  int out_channels;
  struct View {
    Strip::View rows;
    const ForwardRows* source;
    void fill(int64_t m0, int count, const float** bases, float** outs) const {
      const Strip& s = *rows.strip;
      const int64_t pixels = (int64_t)s.grid_height * s.grid_width;
      int n = (int)(m0 / pixels), rem = (int)(m0 % pixels), oh = rem / s.grid_width, ow = rem % s.grid_width;
      for (int r = 0; r < count; r++) {
        bases[r] = rows.corner(n, oh, ow);
        if (outs) outs[r] = source->y + (m0 + r) * source->out_channels;
        if (++ow == s.grid_width) {
          ow = 0;
          if (++oh == s.grid_height) oh = 0, n++;
        }
      }
    }
  };
  View view(int64_t begin, int64_t end) const { return {strip.view(begin, end), this}; }
};

/**
 * The rows of one class of the input gradient (conv.cc): the input pixels whose (index + pad) has one residue
 * modulo the stride receive gradient from one fixed subset of filter taps, so each class is a dense product
 * with no wasted (zero) taps. Class pixel (n, i, j) is dx pixel (first_h + i * stride_height, first_w + j *
 * stride_width); its dy window (the class's taps, last tap first) is read from a strip over dy on the class grid.
 */
struct BackpropInputRows {
  Strip strip;  // over dy, on the class grid, stride 1
  float* dx;
  int in_height, in_width, in_channels;
  int stride_height, stride_width;
  int first_h, first_w;
  struct View {
    Strip::View rows;
    const BackpropInputRows* source;
    void fill(int64_t m0, int count, const float** bases, float** outs) const {
      const BackpropInputRows& c = *source;
      const int count_h = c.strip.grid_height, count_w = c.strip.grid_width;
      const int64_t per_image = (int64_t)count_h * count_w;
      int n = (int)(m0 / per_image), rem = (int)(m0 % per_image), i = rem / count_w, j = rem % count_w;
      for (int r = 0; r < count; r++) {
        const int ih = c.first_h + i * c.stride_height, iw = c.first_w + j * c.stride_width;
        outs[r] = c.dx + (((int64_t)n * c.in_height + ih) * c.in_width + iw) * c.in_channels;
        bases[r] = rows.corner(n, i, j);
        if (++j == count_w) {
          j = 0;
          if (++i == count_h) i = 0, n++;
        }
      }
    }
  };
  View view(int64_t begin, int64_t end) const { return {strip.view(begin, end), this}; }
};

}  // namespace samnative
