#pragma once
// Runs peft-studio-cli (PS_CLI, defined for suites declared USES_CLI) and collects its exit code
// and output, for the suites that test the command line.
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace ps::test {

struct CliResult {
    int exitCode = -1; // -1: did not finish within two minutes
    QString out;
    QString err;
};

inline CliResult runCli(const QStringList& args,
                        const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(PS_CLI), args);
    CliResult r;
    if (!p.waitForFinished(120000))
        return r;
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace ps::test
