// FaultyEnv: a leveldb::Env whose writable files fail like a full disk
// (appends and flushes: ENOSPC; syncs: EIO) or a failing device (syncs
// only: EIO) while a fault is set, for tests of how checkpoint storage
// survives them. Everything else goes to LevelDB's default Env.
#pragma once

#include <leveldb/env.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace runnel::testing {

class FaultyEnv : public leveldb::EnvWrapper {
 public:
  enum class Fault { kNone, kWrite, kSync };  // kWrite: a full disk

  FaultyEnv() : EnvWrapper(leveldb::Env::Default()) {}

  void set_fault(Fault fault) { fault_ = fault; }

  leveldb::Status NewWritableFile(const std::string& name,
                                  leveldb::WritableFile** result) override {
    leveldb::Status s = target()->NewWritableFile(name, result);
    if (s.ok()) *result = new File(this, name, *result);
    return s;
  }
  leveldb::Status NewAppendableFile(const std::string& name,
                                    leveldb::WritableFile** result) override {
    leveldb::Status s = target()->NewAppendableFile(name, result);
    if (s.ok()) *result = new File(this, name, *result);
    return s;
  }

 private:
  class File : public leveldb::WritableFile {
   public:
    File(FaultyEnv* env, std::string name, leveldb::WritableFile* file)
        : env_(env), name_(std::move(name)), file_(file) {}
    leveldb::Status Append(const leveldb::Slice& data) override {
      if (env_->fault_ == Fault::kWrite) return Failure(ENOSPC);
      return file_->Append(data);
    }
    leveldb::Status Flush() override {
      if (env_->fault_ == Fault::kWrite) return Failure(ENOSPC);
      return file_->Flush();
    }
    leveldb::Status Sync() override {
      if (env_->fault_ != Fault::kNone) return Failure(EIO);
      return file_->Sync();
    }
    leveldb::Status Close() override { return file_->Close(); }

   private:
    leveldb::Status Failure(int error) const {
      return leveldb::Status::IOError(name_, strerror(error));
    }
    FaultyEnv* env_;
    std::string name_;
    std::unique_ptr<leveldb::WritableFile> file_;
  };

  std::atomic<Fault> fault_{Fault::kNone};
};

}  // namespace runnel::testing
