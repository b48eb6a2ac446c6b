// 2-D convolutions in NHWC layout with filters [filterHeight, filterWidth, inChannels, outChannels]
// (TensorFlow's layout), computed as indirect matrix products on register tiles.
#pragma once

namespace samnative {

struct ConvShape {
  int batch, in_height, in_width, in_channels;
  int out_height, out_width, out_channels;
  int filter_height, filter_width;
  int stride_height, stride_width;
  int pad_top, pad_left;
  int dilation_height, dilation_width;
};

/** y[n,oh,ow,co] = sum_{kh,kw,ci} x[n, oh*sh + kh*dh - padTop, ow*sw + kw*dw - padLeft, ci] w[kh,kw,ci,co]. */
void conv2d_forward(const float* x, const float* w, float* y, const ConvShape& s);

/** dx[n,ih,iw,ci] = sum over (kh,kw,co) with ih = oh*sh + kh - padTop (same for w) of dy[n,oh,ow,co] w[kh,kw,ci,co]. */
void conv2d_backprop_input(const float* dy, const float* w, float* dx, const ConvShape& s);

/** dw[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*sh + kh - padTop, ow*sw + kw - padLeft, ci] dy[n,oh,ow,co]. */
void conv2d_backprop_filter(const float* x, const float* dy, float* dw, const ConvShape& s);

}  // namespace samnative
