// The SQLite index of run folders. See ps/run_catalog.h for the contract.
#include "ps/run_catalog.h"

#include "ps/error.h"
#include "runs/sqlite_db.h"
#include "runs/value_text.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>

namespace fs = std::filesystem;

namespace ps {
namespace {

constexpr const char* kSchemaVersion = "1";

constexpr const char* kSchema = R"sql(
CREATE TABLE catalog_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs(
  id TEXT PRIMARY KEY, path TEXT NOT NULL, name TEXT, model TEXT, method TEXT, dataset TEXT,
  rank INTEGER, lr REAL, status TEXT, final_loss REAL, best_eval_loss REAL, steps INTEGER,
  tokens_per_sec REAL, peak_memory INTEGER, duration REAL, started_at TEXT, tags TEXT, notes TEXT,
  signature TEXT NOT NULL);
CREATE INDEX runs_by_start ON runs(started_at);
)sql";

constexpr const char* kColumns =
    "id, path, name, model, method, dataset, rank, lr, status, final_loss, "
    "best_eval_loss, steps, tokens_per_sec, peak_memory, duration, started_at, tags, notes";

// What changes when a run's files change: their modification times and sizes.
std::string signatureOf(const std::string& runDir) {
    std::string sig;
    for (const char* name : {"config.yaml", "summary.json", "notes.json"}) {
        std::error_code ec;
        const fs::path p = fs::path(runDir) / name;
        const auto t = fs::last_write_time(p, ec);
        if (ec) {
            sig += std::string(name) + ":-;";
            continue;
        }
        const auto size = fs::file_size(p, ec);
        sig += std::string(name) + ":" + std::to_string(t.time_since_epoch().count()) + ":" +
               std::to_string(ec ? 0 : size) + ";";
    }
    return sig;
}

// SQLite turns NaN into NULL; a NaN / inf loss is worth keeping (it is why a run failed).
void bindLoss(runs::SqliteStatement& st, int index, const std::optional<double>& v) {
    if (!v)
        st.bindNull(index);
    else if (!std::isfinite(*v))
        st.bind(index, runs::formatDouble(*v));
    else
        st.bind(index, *v);
}

std::optional<double> columnLoss(const runs::SqliteStatement& st, int column) {
    if (st.isNull(column))
        return std::nullopt;
    if (st.isText(column)) {
        double d;
        if (runs::parseDouble(st.text(column), &d))
            return d;
        return std::nullopt;
    }
    return st.real(column);
}

RunRecord recordFromRow(const runs::SqliteStatement& st) {
    RunRecord r;
    r.id = st.text(0);
    r.path = st.text(1);
    r.name = st.text(2);
    r.model = st.text(3);
    r.method = st.text(4);
    r.dataset = st.text(5);
    r.rank = st.int64(6);
    r.learningRate = st.real(7);
    try {
        r.status = parseRunStatus(st.text(8));
    } catch (const Error&) {
        r.status = RunStatus::Failed;
    }
    r.finalLoss = columnLoss(st, 9);
    r.bestEvalLoss = columnLoss(st, 10);
    r.steps = st.int64(11);
    r.tokensPerSec = st.real(12);
    r.peakMemoryBytes = static_cast<std::uint64_t>(st.int64(13));
    r.durationSec = st.real(14);
    r.startedAt = st.text(15);
    const Json tags = Json::parse(st.text(16), nullptr, false);
    if (tags.is_array())
        for (const auto& t : tags)
            if (t.is_string())
                r.tags.push_back(t.get<std::string>());
    r.notes = st.text(17);
    // A process can die without touching its folder: "running" is re-checked on every read.
    r.status = settledRunStatus(r.path, r.status);
    return r;
}

bool isCorruption(int code) {
    return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

} // namespace

struct RunCatalog::Impl {
    std::string root;
    std::string dbPath;
    std::unique_ptr<runs::SqliteDb> db;
    bool rebuilt = false;

    void checkUsable() {
        runs::SqliteStatement check(*db, "PRAGMA quick_check");
        if (!check.step() || check.text(0) != "ok")
            throw runs::SqliteError(dbPath + ": integrity check failed", SQLITE_CORRUPT);
        runs::SqliteStatement version(*db, "SELECT value FROM catalog_meta WHERE key = 'schema_version'");
        if (!version.step() || version.text(0) != kSchemaVersion)
            throw runs::SqliteError(dbPath + ": unknown catalog schema", SQLITE_CORRUPT);
    }

    void createSchema(runs::SqliteDb& target) {
        target.exec(kSchema);
        target.exec(std::string("INSERT INTO catalog_meta VALUES('schema_version', '") + kSchemaVersion + "')");
    }

    void upsert(runs::SqliteDb& target, const std::string& runDir) {
        const RunRecord r = readRunRecord(runDir);
        runs::SqliteStatement st(target, std::string("INSERT OR REPLACE INTO runs(") + kColumns +
                                             ", signature) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        st.bind(1, r.id);
        st.bind(2, r.path);
        st.bind(3, r.name);
        st.bind(4, r.model);
        st.bind(5, r.method);
        st.bind(6, r.dataset);
        st.bind(7, r.rank);
        st.bind(8, r.learningRate);
        st.bind(9, std::string(runStatusName(r.status)));
        bindLoss(st, 10, r.finalLoss);
        bindLoss(st, 11, r.bestEvalLoss);
        st.bind(12, r.steps);
        st.bind(13, r.tokensPerSec);
        st.bind(14, static_cast<std::int64_t>(r.peakMemoryBytes));
        st.bind(15, r.durationSec);
        st.bind(16, r.startedAt);
        st.bind(17, Json(r.tags).dump(-1, ' ', false, Json::error_handler_t::replace));
        st.bind(18, r.notes);
        st.bind(19, signatureOf(runDir));
        st.step();
    }

    void fill(runs::SqliteDb& target) {
        runs::SqliteTransaction tx(target);
        for (const auto& dir : listRunFolders(root))
            upsert(target, dir);
        tx.commit();
    }

    // Builds a fresh catalog in a temporary file and renames it into place; where the root is not
    // writable, the index lives in memory for this session.
    void rebuild() {
        db.reset();
        rebuilt = true;
        std::random_device rd;
        const std::string tmp = dbPath + ".tmp-" + std::to_string(rd() % 1000000);
        try {
            {
                runs::SqliteDb fresh(tmp, true);
                createSchema(fresh);
                fill(fresh);
            }
            std::error_code ec;
            // A hot journal of the old file would be replayed into the new one: remove it first.
            for (const char* suffix : {"-journal", "-wal", "-shm"})
                fs::remove(dbPath + suffix, ec);
            fs::rename(tmp, dbPath, ec);
            if (ec)
                throw Error(dbPath + ": cannot move the rebuilt catalog into place (" + ec.message() + ")");
            db = std::make_unique<runs::SqliteDb>(dbPath, false);
        } catch (const Error&) {
            std::error_code ec;
            fs::remove(tmp, ec);
            db = std::make_unique<runs::SqliteDb>(":memory:", true);
            createSchema(*db);
            fill(*db);
        }
    }

    void open() {
        if (!isRegularFile(dbPath)) {
            rebuild();
            return;
        }
        try {
            db = std::make_unique<runs::SqliteDb>(dbPath, false);
            checkUsable();
            sync();
        } catch (const runs::SqliteError& e) {
            // Corrupt, not a database, an old schema, or unopenable: the folders have everything.
            rebuild();
        }
    }

    void sync() {
        std::map<std::string, std::string> indexed; // id -> signature
        {
            runs::SqliteStatement st(*db, "SELECT id, signature FROM runs");
            while (st.step())
                indexed[st.text(0)] = st.text(1);
        }
        runs::SqliteTransaction tx(*db);
        std::set<std::string> present;
        for (const auto& dir : listRunFolders(root)) {
            const std::string id = fileName(dir);
            present.insert(id);
            auto it = indexed.find(id);
            if (it == indexed.end() || it->second != signatureOf(dir))
                upsert(*db, dir);
        }
        for (const auto& [id, sig] : indexed) {
            if (present.count(id))
                continue;
            runs::SqliteStatement del(*db, "DELETE FROM runs WHERE id = ?");
            del.bind(1, id);
            del.step();
        }
        tx.commit();
    }

    // True when another catalog (another thread, the CLI, a second window) rebuilt the file and
    // renamed it over the one this connection has open. This connection's reads would then see
    // the old, unlinked file and its writes fail with "attempt to write a readonly database".
    bool replacedUnderneath() const { return db && db->path() == dbPath && db->hasMoved(); }

    // Runs `op`; a catalog file replaced by another instance is reopened first, and a corruption
    // (or a replacement) found on the way reopens or rebuilds the catalog and runs it once more.
    template <typename Op> auto guarded(Op op) {
        if (replacedUnderneath())
            open();
        try {
            return op();
        } catch (const runs::SqliteError& e) {
            if (replacedUnderneath())
                open();
            else if (isCorruption(e.code()))
                rebuild();
            else
                throw;
            return op();
        }
    }
};

RunCatalog::RunCatalog(const std::string& runsRoot) : impl_(std::make_unique<Impl>()) {
    std::error_code ec;
    const fs::path abs = fs::absolute(runsRoot, ec);
    impl_->root = ec ? runsRoot : abs.lexically_normal().string();
    fs::create_directories(runsRoot, ec);
    if (!isDirectory(runsRoot))
        throw Error(runsRoot + ": cannot create the runs folder (" + (ec ? ec.message() : std::string("not a folder")) +
                    ")");
    impl_->dbPath = joinPath(impl_->root, kFileName);
    impl_->open();
}

RunCatalog::~RunCatalog() = default;

const std::string& RunCatalog::root() const {
    return impl_->root;
}
std::string RunCatalog::databasePath() const {
    return impl_->dbPath;
}
bool RunCatalog::wasRebuilt() const {
    return impl_->rebuilt;
}

std::vector<RunRecord> RunCatalog::list() const {
    return impl_->guarded([this] {
        std::vector<RunRecord> out;
        runs::SqliteStatement st(*impl_->db,
                                 std::string("SELECT ") + kColumns + " FROM runs ORDER BY started_at DESC, id DESC");
        while (st.step())
            out.push_back(recordFromRow(st));
        return out;
    });
}

std::optional<RunRecord> RunCatalog::find(const std::string& id) const {
    return impl_->guarded([&]() -> std::optional<RunRecord> {
        runs::SqliteStatement st(*impl_->db, std::string("SELECT ") + kColumns + " FROM runs WHERE id = ?");
        st.bind(1, id);
        if (!st.step())
            return std::nullopt;
        return recordFromRow(st);
    });
}

void RunCatalog::sync() {
    impl_->guarded([this] {
        impl_->sync();
        return 0;
    });
}

void RunCatalog::refresh(const std::string& runDir) {
    impl_->guarded([&] {
        if (isRunFolder(runDir)) {
            impl_->upsert(*impl_->db, runDir);
        } else {
            runs::SqliteStatement del(*impl_->db, "DELETE FROM runs WHERE id = ?");
            del.bind(1, fileName(runDir));
            del.step();
        }
        return 0;
    });
}

void RunCatalog::rebuild() {
    impl_->rebuild();
}

void RunCatalog::setTags(const std::string& id, const std::vector<std::string>& tags) {
    const auto rec = find(id);
    if (!rec)
        throw Error("no run '" + id + "' in the catalog of " + impl_->root);
    RunAnnotations a = readRunAnnotations(rec->path);
    a.tags = tags;
    writeRunAnnotations(rec->path, a);
    refresh(rec->path);
}

void RunCatalog::setNotes(const std::string& id, const std::string& notes) {
    const auto rec = find(id);
    if (!rec)
        throw Error("no run '" + id + "' in the catalog of " + impl_->root);
    RunAnnotations a = readRunAnnotations(rec->path);
    a.notes = notes;
    writeRunAnnotations(rec->path, a);
    refresh(rec->path);
}

} // namespace ps
