#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs work on a thread with a large stack. A tree-walking interpreter recurses once
/// per nested call, so the call-depth limit (10,000 by default) needs far more stack
/// than a main thread or a test worker has; the pages are only touched when used.
public enum BigStack {
    public static let defaultSize = 1 << 30

    private final class Box {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    /// Calls `work` on a new thread with `size` bytes of stack and waits for it.
    public static func run<T>(size: Int = defaultSize, _ work: () throws -> T) rethrows -> T {
        try withoutActuallyEscaping(work) { work in
            var result: Result<T, Error>!
            let box = Box { result = Result { try work() } }
            var attr = pthread_attr_t()
            pthread_attr_init(&attr)
            defer { pthread_attr_destroy(&attr) }
            pthread_attr_setstacksize(&attr, size)
            let context = Unmanaged.passRetained(box).toOpaque()
            #if canImport(Glibc)
            var thread = pthread_t()
            #else
            var thread: pthread_t?
            #endif
            let rc = pthread_create(&thread, &attr, { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.work()
                return nil
            }, context)
            if rc != 0 {
                // No thread: run here (smaller stack, same semantics).
                Unmanaged<Box>.fromOpaque(context).release()
                box.work()
            } else {
                #if canImport(Glibc)
                pthread_join(thread, nil)
                #else
                pthread_join(thread!, nil)
                #endif
            }
            return try result.get()
        }
    }
}
