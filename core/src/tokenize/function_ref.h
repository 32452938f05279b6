#pragma once
// A non-owning reference to a callable (what std::function is without the allocation), for
// the per-piece callbacks of the pre-tokenizers, which run millions of times per second.
#include <memory>
#include <type_traits>
#include <utility>

namespace ps::tok {

template <typename Signature> class FunctionRef;

template <typename R, typename... Args> class FunctionRef<R(Args...)> final {
public:
    template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
    FunctionRef(F&& f) // NOLINT(google-explicit-constructor): used like a function parameter
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))), call_([](void* o, Args... a) -> R {
              return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(a)...);
          }) {}
    R operator()(Args... a) const { return call_(object_, std::forward<Args>(a)...); }

private:
    void* object_;
    R (*call_)(void*, Args...);
};

} // namespace ps::tok
