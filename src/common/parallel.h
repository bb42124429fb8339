// Runs work(0) … work(count - 1) on a few threads: for steps that mostly wait on other processes
// and the kernel (starting and stopping node containers).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace gangplank {

// Blocks until every item ran, or until `stop` is set (the items not started yet are skipped).
inline void ParallelFor(std::size_t count, int threads,
                        const std::function<void(std::size_t)>& work,
                        const std::atomic<bool>* stop = nullptr) {
  std::atomic<std::size_t> next{0};
  const auto worker = [&] {
    for (std::size_t i = next++; i < count && !(stop && *stop); i = next++) work(i);
  };
  std::vector<std::thread> workers;
  const std::size_t wanted =
      std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, threads)));
  for (std::size_t i = 1; i < wanted; ++i) workers.emplace_back(worker);
  worker();
  for (auto& thread : workers) thread.join();
}

}  // namespace gangplank
