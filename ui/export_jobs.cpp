#include "export_jobs.h"

#include "qt_convert.h"

#include "ps/adapter.h"
#include "ps/error.h"
#include "ps/export.h"
#include "ps/model_info.h"

#include <QDir>
#include <QFileInfo>
#include <QLocale>

namespace ps::ui {
namespace {

ps::DType dtypeOf(const QString& name, const QString& baseDir) {
    if (name == QLatin1String("f16"))
        return ps::DType::F16;
    if (name == QLatin1String("bf16"))
        return ps::DType::BF16;
    if (name.isEmpty()) { // the base checkpoint's own dtype, as the CLI's merged export does
        const std::string t = ps::inspectModel(toStd(baseDir)).torchDtype;
        return t == "bfloat16" ? ps::DType::BF16 : t == "float16" ? ps::DType::F16 : ps::DType::F32;
    }
    return ps::DType::F32;
}

QStringList absolute(const QString& dir, const std::vector<std::string>& files) {
    QStringList out;
    for (const auto& f : files)
        out << QDir(dir).filePath(toQ(f));
    return out;
}

// What to do about an export error, from what it says.
QString adviceFor(const QString& error, ExportFormat format) {
    if (error.contains(QLatin1String("--force")) || error.contains(QLatin1String("exists")))
        return QObject::tr("Choose another output path, or export again and agree to replace it.");
    if (error.contains(QLatin1String("--base")) || error.contains(QLatin1String("base model")))
        return QObject::tr("Choose the base model folder the adapter was trained on.");
    if (format == ExportFormat::Gguf && error.contains(QLatin1String("--format merged")))
        return QObject::tr("Pick the \u201cmerged\u201d format: it folds the adapter into a full model that "
                           "llama.cpp's convert_hf_to_gguf.py converts.");
    return QObject::tr("Check the compatibility report above; the peft format works for every adapter.");
}

} // namespace

QString exportFormatName(ExportFormat format) {
    switch (format) {
    case ExportFormat::Peft:
        return QStringLiteral("peft");
    case ExportFormat::Merged:
        return QStringLiteral("merged");
    case ExportFormat::Gguf:
        return QStringLiteral("gguf");
    }
    return {};
}

ps::ExportRuntime targetRuntime(ExportFormat format) {
    switch (format) {
    case ExportFormat::Peft:
        return ps::ExportRuntime::Peft;
    case ExportFormat::Merged:
        return ps::ExportRuntime::Transformers;
    case ExportFormat::Gguf:
        return ps::ExportRuntime::LlamaCpp;
    }
    return ps::ExportRuntime::Peft;
}

SourceCheck checkExportSource(const QString& source, const QString& baseDir) {
    SourceCheck c;
    c.source = source;
    c.baseDir = baseDir;
    try {
        const ps::ExportSource src = ps::resolveExportSource(toStd(source));
        c.name = toQ(src.name);
        c.runDir = toQ(src.runDir);
        c.baseHint = toQ(src.baseHint);
        c.report = ps::exportCompatibility(toStd(source), toStd(baseDir));
    } catch (const ps::Error& e) {
        c.error = QString::fromUtf8(e.what());
    }
    return c;
}

ExportOutcome runExport(const ExportRequest& r) {
    ExportOutcome out;
    try {
        const std::string source = toStd(r.source), base = toStd(r.baseDir), path = toStd(r.outPath);
        switch (r.format) {
        case ExportFormat::Peft: {
            ps::PeftExportOptions o;
            o.overwrite = r.overwrite;
            const auto rep = ps::exportPeftAdapter(source, base, path, o);
            out.outDir = r.outPath;
            out.files = absolute(r.outPath, rep.files);
            out.summary =
                QObject::tr("%1 adapter: %2 tensors, %3 parameters, loaded back onto the base model to check it")
                    .arg(toQ(rep.method))
                    .arg(rep.numTensors)
                    .arg(rep.numParameters);
            break;
        }
        case ExportFormat::Merged: {
            const ps::ExportSource src = ps::resolveExportSource(source);
            const ps::DType dtype = dtypeOf(r.dtype, r.baseDir);
            ps::MergedExportOptions o;
            o.overwrite = r.overwrite;
            const auto rep = ps::exportMerged(src.adapterDir, base, path, dtype, o);
            out.outDir = r.outPath;
            out.files = absolute(r.outPath, rep.files);
            out.summary = QObject::tr("merged model (%1), %2 in %3 weight file(s)")
                              .arg(QString::fromLatin1(ps::dtypeName(dtype)))
                              .arg(QLocale().formattedDataSize(static_cast<qint64>(rep.weightBytes)))
                              .arg(rep.numShards);
            break;
        }
        case ExportFormat::Gguf: {
            ps::GgufExportOptions o;
            o.overwrite = r.overwrite;
            o.dtype = r.dtype == QLatin1String("f16") ? ps::DType::F16 : ps::DType::F32;
            const auto rep = ps::exportGgufLora(source, base, path, o);
            out.outDir = QFileInfo(toQ(rep.ggufPath)).absolutePath();
            out.files << toQ(rep.ggufPath);
            if (!rep.modelfilePath.empty())
                out.files << toQ(rep.modelfilePath);
            out.summary = QObject::tr("GGUF LoRA for llama.cpp (architecture %1, %2 tensors, alpha %3)%4")
                              .arg(toQ(rep.architecture))
                              .arg(rep.numTensors)
                              .arg(rep.alpha)
                              .arg(rep.modelfilePath.empty() ? QString()
                                                             : QObject::tr(" and an Ollama Modelfile (set its FROM)"));
            break;
        }
        }
        out.ok = true;
    } catch (const ps::Error& e) {
        out.error = QString::fromUtf8(e.what());
        out.advice = adviceFor(out.error, r.format);
    }
    return out;
}

QString defaultExportPath(const QString& runDir, const QString& adapterDir, const QString& name, ExportFormat format) {
    const QString safe = name.isEmpty() ? QStringLiteral("adapter") : name;
    QString folder;
    if (!runDir.isEmpty())
        folder = QDir(runDir).filePath(QStringLiteral("export/") + exportFormatName(format));
    else
        folder = QDir::cleanPath(adapterDir) + QLatin1Char('-') + exportFormatName(format);
    if (format == ExportFormat::Gguf)
        return QDir(folder).filePath(safe + QStringLiteral(".gguf"));
    return folder;
}

bool exportTargetExists(const QString& path, ExportFormat format, const QString& name) {
    if (path.isEmpty())
        return false;
    if (format == ExportFormat::Gguf) {
        const bool isFile = path.endsWith(QLatin1String(".gguf"));
        const QString file = isFile ? path : QDir(path).filePath(name + QStringLiteral(".gguf"));
        const QString modelfile = QDir(QFileInfo(file).absolutePath()).filePath(QStringLiteral("Modelfile"));
        return QFileInfo::exists(file) || QFileInfo::exists(modelfile);
    }
    const QFileInfo info(path);
    if (!info.exists())
        return false;
    return !info.isDir() || !QDir(path).isEmpty();
}

} // namespace ps::ui
