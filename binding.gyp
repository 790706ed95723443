{
  "targets": [
    {
      "target_name": "ipvs",
      "sources": [
        "native/addon.cc",
        "native/client.cc",
        "native/js_convert.cc",
        "native/nl_channel.cc",
        "native/nl_wait.cc",
        "native/table_read.cc",
        "native/table_pack.cc",
        "native/netns.cc",
        "native/host_files.cc",
        "native/proc_net.cc",
        "native/proc_net_read.cc",
        "native/host_net.cc",
        "native/rtnl.cc",
        "native/ipvs_encode.cc",
        "native/ipvs_decode.cc",
        "native/vrrp_packet.cc",
        "native/vrrp_socket.cc",
        "native/vrrp_announce.cc",
        "native/vrrp_js.cc",
        "native/fd_poller.cc",
        "native/link_watch.cc",
        "native/link_watch_js.cc",
        "native/tcp_connect.cc",
        "native/tcp_connect_js.cc"
      ],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include\")",
        "<!@(node scripts/libnl-flags.mjs --cflags-only-I)"
      ],
      "libraries": ["<!@(node scripts/libnl-flags.mjs --libs)"],
      # SWALLOW_UNTHROWABLE: an error node-addon-api can no longer throw into JavaScript (a worker
      # thread's environment being torn down mid-call) is dropped, not rethrown as a C++ exception
      # that would escape into std::terminate (test/unit/native-teardown.test.ts).
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    },
    {
      # Preloaded into the test sandbox's kernel (user-mode Linux), never into Node: see the file's header.
      "target_name": "uml_xstate",
      "type": "shared_library",
      "sources": ["native/sandbox/uml_xstate.c"],
      "libraries": ["-ldl"],
      "cflags": ["-Wall", "-Wextra"],
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    }
  ]
}
