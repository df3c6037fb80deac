using CheckoutAgent.Worker.Schedules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CheckoutAgent.Worker.Api;

/// <summary>Schedules under <c>/v1/schedules</c>: all need <c>schedules:write</c>, and an agent sees only its own.</summary>
public static class ScheduleEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/schedules", CreateAsync).RequireScope(Scopes.SchedulesWrite)
            .WithName("createSchedule").WithTags("schedules")
            .WithSummary("Buy on a cron schedule (Quartz cron, seconds first, or 5-field crontab) in an IANA time zone; each fire submits the purchase under the agent's policy, once per fire time; fires missed while the service was down are skipped")
            .Accepts<ScheduleCreateBody>("application/json")
            .Produces<ScheduleView>(201).Produces<ApiErrorBody>(400).Produces<ApiErrorBody>(401).Produces<ApiErrorBody>(403)
            .Produces<ApiErrorBody>(409).Produces<ApiErrorBody>(413).Produces<ApiErrorBody>(415).Produces<ApiErrorBody>(422);
        v1.MapGet("/schedules", async (HttpContext http, ScheduleService schedules, CancellationToken ct) =>
                ApiResults.Ok(new ScheduleList(await schedules.ListAsync(http.Agent().Id, ct)))).RequireScope(Scopes.SchedulesWrite)
            .WithName("listSchedules").WithTags("schedules").WithSummary("This agent's schedules, oldest first")
            .Produces<ScheduleList>(200);
        v1.MapGet("/schedules/{id}", async (string id, HttpContext http, ScheduleService schedules, CancellationToken ct) =>
                Found(id, await schedules.GetAsync(id, http.Agent().Id, ct))).RequireScope(Scopes.SchedulesWrite)
            .WithName("getSchedule").WithTags("schedules").WithSummary("One schedule with its next fire time")
            .Produces<ScheduleView>(200).Produces<ApiErrorBody>(404);
        v1.MapPost("/schedules/{id}/pause", async (string id, HttpContext http, ScheduleService schedules, CancellationToken ct) =>
                Found(id, await schedules.PauseAsync(id, http.Agent().Id, ct))).RequireScope(Scopes.SchedulesWrite)
            .WithName("pauseSchedule").WithTags("schedules").WithSummary("Stop firing until resumed (next_fire_at becomes null)")
            .Produces<ScheduleView>(200).Produces<ApiErrorBody>(404);
        v1.MapPost("/schedules/{id}/resume", async (string id, HttpContext http, ScheduleService schedules, CancellationToken ct) =>
                Found(id, await schedules.ResumeAsync(id, http.Agent().Id, ct))).RequireScope(Scopes.SchedulesWrite)
            .WithName("resumeSchedule").WithTags("schedules").WithSummary("Fire again from the next fire time on; fires due while paused are not made up")
            .Produces<ScheduleView>(200).Produces<ApiErrorBody>(404);
        v1.MapDelete("/schedules/{id}", async (string id, HttpContext http, ScheduleService schedules, CancellationToken ct) =>
                await schedules.DeleteAsync(id, http.Agent().Id, ct) ? ApiResults.Ok(new ScheduleDeleted(id)) : NotFound(id))
            .RequireScope(Scopes.SchedulesWrite)
            .WithName("deleteSchedule").WithTags("schedules").WithSummary("Delete a schedule; the purchases it made stay")
            .Produces<ScheduleDeleted>(200).Produces<ApiErrorBody>(404);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, ScheduleService schedules, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiEndpoints.ReadJsonAsync(http, cancellationToken);
        if (error is not null)
        {
            return error;
        }
        using (body)
        {
            var result = await schedules.CreateAsync(http.Agent(), body!.RootElement, cancellationToken);
            if (result.Errors.Count > 0)
            {
                return ApiResults.Errors(result.StatusCode, result.Errors);
            }
            http.Response.Headers.Location = $"/v1/schedules/{result.Schedule!.Id}";
            return ApiResults.Ok(result.Schedule, result.StatusCode);
        }
    }

    private static IResult Found(string id, ScheduleView? view) => view is null ? NotFound(id) : ApiResults.Ok(view);

    private static IResult NotFound(string id) =>
        ApiResults.Error(404, new ApiError(ApiErrorCodes.NotFound, $"no schedule '{InputEcho.Quote(id)}' among this agent's schedules; GET /v1/schedules lists them"));
}
