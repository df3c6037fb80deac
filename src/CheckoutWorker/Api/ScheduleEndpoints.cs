using Microsoft.AspNetCore.Routing;

namespace CheckoutAgent.Worker.Api;

/// <summary>Schedules under <c>/v1/schedules</c>.</summary>
public static class ScheduleEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        _ = v1;
    }
}
