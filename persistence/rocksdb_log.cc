#include "persistence/rocksdb_log.h"

#include <sys/time.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <thread>

namespace rad {
namespace {

class FileLog : public rocksdb::Logger {
 public:
  explicit FileLog(std::FILE* file) : file_(file) {}
  ~FileLog() override { std::fclose(file_); }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[4096];
    struct timeval now {};
    ::gettimeofday(&now, nullptr);
    struct tm t {};
    ::localtime_r(&now.tv_sec, &t);
    int n = std::snprintf(line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %zx ",
                          t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                          static_cast<long>(now.tv_usec),
                          std::hash<std::thread::id>{}(std::this_thread::get_id()));
    if (n < 0) return;
    int m = std::vsnprintf(line + n, sizeof line - static_cast<size_t>(n), format, ap);
    size_t size =
        std::min(sizeof line - 1, static_cast<size_t>(n) + static_cast<size_t>(std::max(m, 0)));
    if (size == 0 || line[size - 1] != '\n') line[size++] = '\n';
    // Errors are dropped, and cleared: once space returns, lines are written again.
    if (std::fwrite(line, 1, size, file_) != size || std::fflush(file_) != 0) std::clearerr(file_);
  }

 private:
  std::FILE* file_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> open_rocksdb_log(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto path = dir + "/LOG";
  std::filesystem::rename(path, path + ".old", ec);
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (!file) return nullptr;
  return std::make_shared<FileLog>(file);
}

}  // namespace rad
