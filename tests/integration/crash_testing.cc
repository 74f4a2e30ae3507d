#include "tests/integration/crash_testing.h"

#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>


namespace runnel::testing {

std::string GenerateReadings(int rows, bool very_late) {
  std::mt19937 random(11);
  std::string csv = "device,ts,temp,humidity\n";
  csv.reserve(static_cast<size_t>(rows) * 32);
  const int64_t start = 1700000000000;
  for (int i = 0; i < rows; ++i) {
    int64_t ts = start + int64_t{i} * 2 + static_cast<int64_t>(random() % 1001) - 500;
    if (random() % 2000 == 0 && very_late) ts -= 8000;
    csv += "d" + std::to_string(random() % 1000) + "," + std::to_string(ts) + "," +
           std::to_string(20 + static_cast<int>(random() % 1000) / 100.0).substr(0, 5) + "," +
           std::to_string(50 + static_cast<int>(random() % 100)) + "\n";
  }
  return csv;
}

std::string CommittedParts(const TempDir& dir, const std::string& path, int* in_progress) {
  const std::string file = dir.File(path);
  const std::string directory = file.substr(0, file.rfind('/'));
  const std::string prefix = file.substr(directory.size() + 1) + ".part-";
  std::vector<std::string> parts;
  *in_progress = 0;
  DIR* d = opendir(directory.c_str());
  while (dirent* e = d != nullptr ? readdir(d) : nullptr) {
    const std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    if (name.size() > 11 && name.compare(name.size() - 11, 11, ".inprogress") == 0) {
      ++*in_progress;
    } else {
      parts.push_back(name);
    }
  }
  if (d != nullptr) closedir(d);
  std::sort(parts.begin(), parts.end());
  std::string all;
  for (const std::string& p : parts) all += ReadFile(directory + "/" + p);
  return all;
}

std::string SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t from = 0;
  for (size_t end; (end = text.find('\n', from)) != std::string::npos; from = end + 1) {
    lines.push_back(text.substr(from, end + 1 - from));
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l;
  return out;
}

std::string FirstDifference(const std::string& expected, const std::string& got) {
  if (expected == got) return "";
  size_t at = 0;
  while (at < expected.size() && at < got.size() && expected[at] == got[at]) ++at;
  const size_t line_start = expected.rfind('\n', at == 0 ? 0 : at - 1);
  const size_t from = line_start == std::string::npos ? 0 : line_start + 1;
  return "sizes " + std::to_string(expected.size()) + " vs " + std::to_string(got.size()) +
         "; first difference at byte " + std::to_string(at) + ": expected '" +
         expected.substr(from, 120) + "' got '" + got.substr(from, 120) + "'";
}

void WaitForFirstCheckpoint(Process* process) {
  while (!process->Wait(2) && process->Err().find(" stored (") == std::string::npos) {
  }
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool KilledDuringWrite(const std::string& err) {
  const size_t writing = err.rfind(" writing");
  return writing != std::string::npos && err.find(" stored (", writing) == std::string::npos;
}

}  // namespace runnel::testing
