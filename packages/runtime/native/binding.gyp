{
  "targets": [
    {
      "target_name": "sam_repro_native",
      "sources": ["src/addon.cc", "src/batch_norm.cc", "src/conv.cc", "src/elementwise.cc", "src/group_norm.cc", "src/grouped_conv.cc", "src/parallel.cc", "src/reduce.cc"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fno-math-errno", "-fexceptions"],
      "cflags!": ["-fno-exceptions"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
