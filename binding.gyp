{
  "targets": [
    {
      "target_name": "aurex_book",
      "sources": ["native/addon.cc", "native/book.cc"],
      # Plain C N-API (node_api.h, shipped with node's headers): no node-addon-api.
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      # -fvisibility=hidden / -fno-semantic-interposition: with -fPIC and default
      # visibility every Book method is interposable, so GCC neither inlines nor
      # calls it directly (PLT); that alone cost ~1/3 of the instructions per op
      # (native/bench/profile.sh). -fomit-frame-pointer frees a register (~3%).
      "cflags_cc": ["-std=c++20", "-O3", "-fno-exceptions", "-Wall", "-Wextra", "-fvisibility=hidden", "-fno-semantic-interposition", "-fomit-frame-pointer"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      }
    }
  ]
}
