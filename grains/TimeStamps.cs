namespace OrleansPrices.Grains;

/// <summary>Durations in the units of <see cref="TimeProvider.GetTimestamp"/>, for deadlines kept as timestamps.</summary>
internal static class TimeStamps
{
    public static long ToTimestamp(this TimeProvider time, TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
