#pragma once
// A minimal RAII wrapper over the SQLite C API for the run catalog (internal).
#include "ps/error.h"

#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace ps::runs {

// A SQLite failure; code() is the primary result code (SQLITE_CORRUPT, SQLITE_NOTADB, ...).
class SqliteError final : public Error {
public:
    SqliteError(const std::string& message, int code) : Error(message), code_(code) {}
    int code() const { return code_; }

private:
    int code_;
};

class SqliteStatement;

class SqliteDb final {
public:
    // Opens `path` (":memory:" for an in-memory database). `create`: create when missing.
    SqliteDb(const std::string& path, bool create);
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    void exec(const std::string& sql);
    const std::string& path() const { return path_; }
    sqlite3* handle() const { return db_; }
    // True when the file this connection has open was deleted or replaced (renamed over) since it
    // was opened: writes then fail with "readonly database" and reads see the old file.
    bool hasMoved() const;
    [[noreturn]] void fail(const std::string& what, int rc) const;

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

class SqliteStatement final {
public:
    SqliteStatement(SqliteDb& db, const std::string& sql);
    ~SqliteStatement();
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    // Parameters are 1-based as in SQLite.
    void bind(int index, const std::string& text);
    void bind(int index, std::int64_t value);
    void bind(int index, double value);
    void bindNull(int index);
    // True when a row is available; false when done.
    bool step();
    void reset();

    bool isNull(int column) const;
    bool isText(int column) const;
    std::string text(int column) const;
    std::int64_t int64(int column) const;
    double real(int column) const;

private:
    SqliteDb& db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN on construction, ROLLBACK unless commit() was called.
class SqliteTransaction final {
public:
    explicit SqliteTransaction(SqliteDb& db);
    ~SqliteTransaction();
    void commit();

private:
    SqliteDb& db_;
    bool done_ = false;
};

} // namespace ps::runs
