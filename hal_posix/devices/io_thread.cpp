#include "devices/io_thread.h"

#include <boost/asio/executor_work_guard.hpp>
#include <memory>
#include <thread>

namespace hal_posix {

namespace {

struct IoThread {
    boost::asio::io_context context{1};  // one thread: handlers never run at once
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
        boost::asio::make_work_guard(context);
    std::thread thread{[this] { context.run(); }};
};

std::unique_ptr<IoThread> running;

}  // namespace

boost::asio::io_context& io_context() {
    if (running == nullptr) running = std::make_unique<IoThread>();
    return running->context;
}

void stop_io_thread() {
    if (running == nullptr || !running->thread.joinable()) return;
    running->work.reset();
    running->context.stop();
    running->thread.join();
}

void release_io_context() { running.reset(); }

}  // namespace hal_posix
