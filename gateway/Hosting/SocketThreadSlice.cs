using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace OrleansPrices.Gateway.Hosting;

/// <summary>
/// Asks the kernel for a short time slice (<see cref="GatewayOptions.SocketThreadSlice"/>) for the
/// runtime's socket I/O threads (named <c>.NET Sockets</c>), which with inline scheduling do the
/// requests' work. On one core shared with the grid, a request that woke one of them waited until
/// the running worker's slice was used up: a few requests per tick over 2 ms. The threads are
/// found by name in <c>/proc/self/task</c> once the server listens, and again on a timer for any
/// the runtime starts later. Linux on x64 or arm64 only; elsewhere, or where the threads cannot be
/// listed or the call is refused, it logs once and stops. A kernel before 6.12 takes the call and
/// leaves the slice as it was.
/// </summary>
public sealed partial class SocketThreadSlice(IOptions<GatewayOptions> options, TimeProvider time, ILogger<SocketThreadSlice> logger) : BackgroundService
{
    internal const string SocketThreadName = ".NET Sockets";
    private readonly HashSet<int> _done = [];

    /// <summary>How often threads are looked for again.</summary>
    internal static readonly TimeSpan Rescan = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var slice = options.Value.SocketThreadSlice;
        if (slice <= TimeSpan.Zero || !options.Value.InlineSocketScheduling) return;
        if (!OperatingSystem.IsLinux() || SyscallNumber() is not { } number)
        {
            LogUnsupported(logger, RuntimeInformation.ProcessArchitecture);
            return;
        }
        // The socket threads start with the server's first socket operation.
        await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
        using var timer = new PeriodicTimer(Rescan, time);
        do
        {
            try
            {
                if (!Apply(number, slice)) return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
            {
                // A container without /proc, or no libc to call: the gateway runs on without it.
                LogFailed(logger, ex.Message);
                return;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Sets the slice of socket threads not seen before; false when the kernel refuses.</summary>
    internal bool Apply(long number, TimeSpan slice)
    {
        var applied = 0;
        foreach (var tid in SocketThreads())
        {
            if (_done.Contains(tid)) continue;
            var attr = new SchedAttr { Size = (uint)Marshal.SizeOf<SchedAttr>(), Runtime = (ulong)(slice.Ticks * 100) };
            if (Syscall(number, tid, ref attr, 0) != 0)
            {
                LogRefused(logger, tid, Marshal.GetLastPInvokeError());
                return false;
            }
            _done.Add(tid);
            applied++;
        }
        if (applied > 0) LogApplied(logger, applied, slice.TotalMilliseconds);
        return true;
    }

    /// <summary>The ids of this process's threads named <see cref="SocketThreadName"/>.</summary>
    internal static IEnumerable<int> SocketThreads()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string name;
            try
            {
                name = File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n');
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }
            if (name == SocketThreadName && int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var tid)) yield return tid;
        }
    }

    /// <summary><c>SYS_sched_setattr</c> for this architecture, or null where it is not known here.</summary>
    internal static long? SyscallNumber() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 314,
        Architecture.Arm64 => 274,
        _ => null,
    };

    /// <summary><c>struct sched_attr</c> (SCHED_ATTR_SIZE_VER1): policy SCHED_OTHER, nice 0, the slice in <see cref="Runtime"/> (ns).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SchedAttr
    {
        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        public ulong Runtime;
        public ulong Deadline;
        public ulong Period;
        public uint UtilMin;
        public uint UtilMax;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int tid, ref SchedAttr attr, uint flags);

    [LoggerMessage(EventId = 3902, Level = LogLevel.Information, Message = "Scheduler slice {SliceMs} ms set for {Threads} socket I/O threads")]
    private static partial void LogApplied(ILogger logger, int threads, double sliceMs);

    [LoggerMessage(EventId = 3903, Level = LogLevel.Warning, Message = "The kernel refused a scheduler slice for socket thread {Tid} (errno {Errno}); socket threads keep the default")]
    private static partial void LogRefused(ILogger logger, int tid, int errno);

    [LoggerMessage(EventId = 3905, Level = LogLevel.Warning, Message = "Socket thread scheduler slices left at the default: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 3904, Level = LogLevel.Information, Message = "Socket thread scheduler slices need Linux on x64 or arm64 (here: {Architecture}); left at the default")]
    private static partial void LogUnsupported(ILogger logger, Architecture architecture);
}
