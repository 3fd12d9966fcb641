#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif
import KubeScript
import KubeSimFuzz

// kubesim-fuzz TARGET [ARGS…]
//
// Built by scripts/fuzz with `-sanitize=fuzzer,address -DKUBESIM_FUZZING`, it is a
// libFuzzer binary: ARGS are libFuzzer's (corpus directories, -max_total_time=…).
// In a plain build it replays files: `kubesim-fuzz frontend crash-…` runs one input
// through the target, to reproduce a crash without the sanitizers.

let arguments = CommandLine.arguments
guard arguments.count >= 2, FuzzTargets.names.contains(arguments[1]) else {
    fputs("usage: kubesim-fuzz TARGET [ARGS…]   (targets: \(FuzzTargets.names.joined(separator: ", ")))\n", stderr)
    exit(2)
}

/// The target the C callback runs (a C function pointer captures nothing).
nonisolated(unsafe) var selectedTarget = arguments[1]

#if KUBESIM_FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The entry libFuzzer's own (unused) main refers to; unstripped in a debug build, so
/// it must exist. The driver below calls it too.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.run(selectedTarget, size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// libFuzzer sees the program name and ARGS, not TARGET.
var fuzzerArguments: [UnsafeMutablePointer<CChar>?] = [strdup(arguments[0])] + arguments.dropFirst(2).map { strdup($0) } + [nil]
var argc = CInt(fuzzerArguments.count - 1)
let status = fuzzerArguments.withUnsafeMutableBufferPointer { buffer -> CInt in
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
    // The interpreter and parser recurse; run every input on a thread with a big stack.
    // libFuzzer's -timeout is a SIGALRM whose handler ignores it on any thread but the
    // fuzzing one (FuzzerLoop.cpp: `if (!InFuzzingThread()) return;`), and the kernel
    // may hand a process signal to the main thread, waiting in pthread_join here: so
    // the main thread blocks SIGALRM and the fuzzing thread (which inherits the mask)
    // unblocks it, and every alarm reaches the thread that can act on it.
    var alarm = sigset_t()
    sigemptyset(&alarm)
    sigaddset(&alarm, SIGALRM)
    pthread_sigmask(SIG_BLOCK, &alarm, nil)
    return BigStack.run {
        pthread_sigmask(SIG_UNBLOCK, &alarm, nil)
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) }
    }
}
exit(status)
#else
var failed = false
for path in arguments.dropFirst(2) {
    guard let f = fopen(path, "rb") else { fputs("cannot read \(path)\n", stderr); failed = true; continue }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        bytes.append(contentsOf: buffer[0..<n])
        if n < buffer.count { break }
    }
    fclose(f)
    BigStack.run { _ = FuzzTargets.run(selectedTarget, bytes) }
    print("ran \(path)")
}
exit(failed ? 1 : 0)
#endif
