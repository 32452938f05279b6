// StopToken: pause blocks the training thread until resume or stop; no sleeps, no timing.
#include "ps/trainer.h"

#include <QtTest>

#include <thread>

using namespace ps;

class TestStopToken final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void notPausedDoesNotBlock() {
        StopToken token;
        QVERIFY(!token.waitWhilePaused());
        token.requestStop();
        QVERIFY(token.stopRequested());
        QVERIFY(token.waitWhilePaused());
        token.reset();
        QVERIFY(!token.stopRequested());
    }

    void resumeReleasesAPausedTrainer() {
        StopToken token;
        token.requestPause();
        QVERIFY(token.pauseRequested());
        bool stopped = true;
        std::thread trainer([&] { stopped = token.waitWhilePaused(); });
        token.resume();
        trainer.join();
        QVERIFY(!stopped);
        QVERIFY(!token.pauseRequested());
    }

    void stopReleasesAPausedTrainer() {
        StopToken token;
        token.requestPause();
        bool stopped = false;
        std::thread trainer([&] { stopped = token.waitWhilePaused(); });
        token.requestStop();
        trainer.join();
        QVERIFY(stopped);
    }

    void stateNames() {
        QCOMPARE(std::string(trainerStateName(TrainerState::Paused)), std::string("paused"));
        QCOMPARE(std::string(trainerStateName(TrainerState::Failed)), std::string("failed"));
    }
};

QTEST_APPLESS_MAIN(TestStopToken)
#include "tst_stop_token.moc"
