using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrleansPrices.Gateway.Health;

/// <summary>
/// The health endpoints' body, for the gateway and (compiled in as a linked file) the silo:
/// <c>{"status":"Unhealthy","checks":{"grid":{"status":"Unhealthy","description":"storage_unavailable: …"},…}}</c>.
/// </summary>
internal static class HealthJson
{
    /// <summary>
    /// <c>/health/live</c> (no check: the process serves HTTP) and <c>/health/ready</c> plus
    /// <paramref name="readyAliases"/> (the checks tagged <paramref name="readyTag"/>), left out of OpenAPI.
    /// </summary>
    public static IEndpointRouteBuilder MapLiveAndReady(this IEndpointRouteBuilder app, string readyTag, params string[] readyAliases)
    {
        var ready = new HealthCheckOptions { Predicate = c => c.Tags.Contains(readyTag), ResponseWriter = Write };
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = Write }).ExcludeFromDescription();
        foreach (var path in (string[])["/health/ready", .. readyAliases]) app.MapHealthChecks(path, ready).ExcludeFromDescription();
        return app;
    }

    public static Task Write(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status", report.Status.ToString());
            w.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                w.WriteStartObject(name);
                w.WriteString("status", entry.Status.ToString());
                if (entry.Description is { } description) w.WriteString("description", description);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return context.Response.Body.WriteAsync(buffer.ToArray()).AsTask();
    }
}
