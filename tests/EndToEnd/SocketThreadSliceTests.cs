using System.Globalization;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>Gateway:SocketThreadSlice reaches the kernel: the socket I/O threads get the short slice.</summary>
public sealed class SocketThreadSliceTests
{
    /// <summary>A thread's scheduler slice in ns, from <c>/proc/self/task/TID/sched</c> (Linux 6.6 and later).</summary>
    private static long? SliceOf(int tid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/self/task/{tid}/sched");
        }
        catch (IOException)
        {
            return null;
        }
        var line = lines.FirstOrDefault(l => l.StartsWith("se.slice", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_running_gateway_gives_its_socket_threads_the_configured_slice()
    {
        Assert.True(OperatingSystem.IsLinux(), "scheduler slices are a Linux feature");
        Assert.True(File.ReadAllText("/proc/self/sched").Contains("se.slice", StringComparison.Ordinal), "this kernel shows no scheduler slice (EEVDF, Linux 6.6+)");
        await using var host = await GatewayHost.StartAsync();
        // Other gateways of this test run share the process's socket threads, with the same default.
        var expected = (long)(new GatewayOptions().SocketThreadSlice.Ticks * 100);
        Assert.Equal(100_000, expected);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        List<(int Tid, long? Slice)> threads;
        do
        {
            await Task.Delay(200);
            threads = [.. SocketThreadSlice.SocketThreads().Select(t => (t, SliceOf(t)))];
        }
        while ((threads.Count == 0 || threads.Any(t => t.Slice != expected)) && DateTime.UtcNow < deadline);
        Assert.NotEmpty(threads);
        Assert.All(threads, t => Assert.Equal(expected, t.Slice));
    }

    [Fact]
    public void The_default_kernel_slice_is_longer_than_the_gateways()
    {
        // What the setting changes: a thread that never asked keeps the kernel's default (1.4 ms on
        // two cores here), which a woken socket thread would otherwise wait out.
        var own = SliceOf(Gettid());
        Assert.NotNull(own);
        Assert.True(own > 100_000, $"this test thread's slice is {own} ns");
    }

    private static int Gettid() => int.Parse(File.ReadAllText("/proc/thread-self/stat").Split(' ')[0], CultureInfo.InvariantCulture);
}
