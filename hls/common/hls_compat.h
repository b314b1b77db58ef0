// Stream types that let the kernels compile unchanged under Vitis HLS and plain g++.
//
// Vitis HLS gets its own hls::stream and AXI4-Stream side-channel struct. g++ (the
// C-simulation oracle) gets a minimal hls::stream on a std::deque and an ldv_axis_t with
// the same field names, so kernel sources contain no #ifdef of their own.
#ifndef LLAMA_DV_HLS_COMPAT_H
#define LLAMA_DV_HLS_COMPAT_H

#include <stdint.h>

#if defined(__SYNTHESIS__) || defined(__VITIS_HLS__)

#include <ap_axi_sdata.h>
#include <ap_int.h>
#include <hls_stream.h>

typedef hls::axis<ap_int<32>, 0, 0, 0> ldv_axis_t;

static inline int32_t ldv_axis_data(const ldv_axis_t &w) { return (int32_t)w.data.to_int(); }

#else

#include <deque>
#include <stdexcept>

namespace hls {

template <typename T>
class stream {
 public:
  stream() = default;
  explicit stream(const char *) {}
  void write(const T &v) { q_.push_back(v); }
  T read() {
    if (q_.empty()) throw std::runtime_error("hls::stream read from an empty stream");
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  void read(T &v) { v = read(); }
  bool empty() const { return q_.empty(); }
  bool full() const { return false; }
  std::size_t size() const { return q_.size(); }

 private:
  std::deque<T> q_;
};

}  // namespace hls

struct ldv_axis_t {
  int32_t data;
  bool last;
  uint8_t keep;
  uint8_t strb;
};

static inline int32_t ldv_axis_data(const ldv_axis_t &w) { return w.data; }

#endif

// One full 32-bit AXI4-Stream word (all byte lanes valid).
static inline ldv_axis_t ldv_axis_word(int32_t data, bool last) {
  ldv_axis_t w;
  w.data = data;
  w.keep = 0xF;
  w.strb = 0xF;
  w.last = last;
  return w;
}

#endif
