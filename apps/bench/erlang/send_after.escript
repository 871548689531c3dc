#!/usr/bin/env escript
%% -*- erlang -*-
%% chronos-bench's Erlang baseline: what an Erlang user writes instead of
%% chronos, erlang:send_after/3 per timeout and erlang:cancel_timer/1 to
%% cancel, driven like chronos-bench's workloads (apps/bench/*.cpp). The
%% emulator runs with its defaults, as an Erlang service would.
%%
%%   escript send_after.escript WORKLOAD N SEED SECONDS [NOTE]
%%   WORKLOAD: w1 | w2 | w3 | w3_busy | w4_single | w4_batched
%%   NOTE: the note of the workload's one noted figure (w3's scheduling_s,
%%   w4's cpu_pct), chronos-bench's own, so that its ratios pair them
%%
%% Prints one JSON object a line, as `chronos-bench --json` does; chronos-bench
%% reads them into its report as the baseline "erlang_send_after".

% Compiled, not interpreted: the figures are the emulator's, not erl_eval's.
-mode(compile).

main([Workload, N, Seed, Seconds]) ->
    main([Workload, N, Seed, Seconds, ""]);
main([Workload, N, Seed, Seconds, Note]) ->
    rand:seed(exsss, {list_to_integer(Seed), 1, 2}),
    run(Workload, list_to_integer(N), list_to_integer(Seconds), Note);
main(_) ->
    io:format(standard_error, "usage: send_after.escript WORKLOAD N SEED SECONDS [NOTE]~n", []),
    halt(2).

%% W1: N timeouts due uniformly in [1 h, 2 h]: schedules/s and resident bytes
%% per pending timer. The references are dropped, as chronos's figure leaves
%% out what its client keeps.
run("w1", N, _, _) ->
    Delays = delays(N),
    Sink = spawn(fun idle/0),
    Before = rss_bytes(),
    T0 = now_us(),
    lists:foreach(fun(D) -> erlang:send_after(D, Sink, D) end, Delays),
    Elapsed = now_us() - T0,
    After = rss_bytes(),
    figure("w1", "schedules_per_s", N / seconds(Elapsed), "1/s", ""),
    figure("w1", "bytes_per_timer", (After - Before) / N, "B", "");
%% W2: N timeouts as in W1, kept by reference, cancelled in random order.
run("w2", N, _, _) ->
    Sink = spawn(fun idle/0),
    Refs = [erlang:send_after(D, Sink, D) || D <- delays(N)],
    Shuffled = [R || {_, R} <- lists:sort([{rand:uniform(), R} || R <- Refs])],
    T0 = now_us(),
    lists:foreach(fun erlang:cancel_timer/1, Shuffled),
    Elapsed = now_us() - T0,
    figure("w2", "cancels_per_s", N / seconds(Elapsed), "1/s", "");
%% W3: N timeouts due uniformly between 0.5 s and 1.5 s after the start;
%% lateness is a delivery's time minus its deadline. w3_busy is the same
%% storm, while chronos-bench keeps other processes busy beside it.
run("w3", N, _, Note) -> storm("w3", N, Note);
run("w3_busy", N, _, Note) -> storm("w3_busy", N, Note);
%% W4: every 10 ms a tick asks a timer owner for Rate/100 timeouts 1 s out
%% and cancels 90% of the previous tick's: the owner's CPU, and the ticker's,
%% per second of load (the whole emulator's, as chronos-bench measures its
%% own process). One message per schedule and cancel, or one of each a tick.
run("w4_single", Rate, Seconds, Note) -> steady(Rate, Seconds, single, Note);
run("w4_batched", Rate, Seconds, Note) -> steady(Rate, Seconds, batched, Note);
run(Other, _, _, _) ->
    io:format(standard_error, "send_after.escript: unknown workload ~s~n", [Other]),
    halt(2).

storm(Label, N, Note) ->
    Parent = self(),
    Receiver = spawn(fun() -> collect(Parent, N, []) end),
    Start = erlang:monotonic_time(millisecond),
    Deadlines = [Start + 500 + rand:uniform(1001) - 1 || _ <- lists:seq(1, N)],
    T0 = now_us(),
    lists:foreach(fun(At) -> erlang:send_after(At, Receiver, At, [{abs, true}]) end, Deadlines),
    Scheduling = seconds(now_us() - T0),
    {Lateness, LastUs} = receive {collected, L, Last} -> {lists:sort(L), Last} end,
    Span = seconds(LastUs - lists:min(Deadlines) * 1000),
    figure(Label, "scheduling_s", Scheduling, "s", Note),
    figure(Label, "deliveries_per_s", N / Span, "1/s", ""),
    figure(Label, "lateness_p50_us", percentile(Lateness, N, 50), "us", ""),
    figure(Label, "lateness_p99_us", percentile(Lateness, N, 99), "us", ""),
    figure(Label, "lateness_max_us", lists:last(Lateness), "us", "").

steady(Rate, Seconds, How, Note) ->
    PerTick = max(1, Rate div 100),
    Ticks = Seconds * 100,
    Owner = spawn(fun() -> owner(#{}) end),
    Cpu0 = cpu_seconds(),
    T0 = erlang:monotonic_time(millisecond),
    tick(Owner, How, PerTick, 0, Ticks, T0, [], 0),
    Wall = (erlang:monotonic_time(millisecond) - T0) / 1000,
    Cpu = cpu_seconds() - Cpu0,
    figure("w4", "cpu_pct", 100 * Cpu / Wall, "%", Note).

%% Tick K of Ticks: schedules PerTick new timeouts (ids from Next), cancels
%% 90% of the previous tick's, then waits for its slot.
tick(_, _, _, Ticks, Ticks, _, _, _) ->
    ok;
tick(Owner, How, PerTick, K, Ticks, T0, Previous, Next) ->
    Cancelled = [Id || {I, Id} <- lists:enumerate(0, Previous), I rem 10 =/= 0],
    Current = lists:seq(Next, Next + PerTick - 1),
    case How of
        batched ->
            Cancelled =/= [] andalso (Owner ! {cancel, Cancelled}),
            Owner ! {schedule, Current};
        single ->
            [Owner ! {cancel, Id} || Id <- Cancelled],
            [Owner ! {schedule, Id} || Id <- Current]
    end,
    % Keep to the schedule even if a tick ran late.
    erlang:send_after(T0 + 10 * (K + 1), self(), tick, [{abs, true}]),
    receive tick -> ok end,
    tick(Owner, How, PerTick, K + 1, Ticks, T0, Current, Next + PerTick).

%% The timer owner an Erlang user writes: a send_after to itself per timeout,
%% its reference kept by id so that a cancel reaches it.
owner(Timers) ->
    receive
        {schedule, Ids} when is_list(Ids) ->
            owner(lists:foldl(fun arm/2, Timers, Ids));
        {schedule, Id} ->
            owner(arm(Id, Timers));
        {cancel, Ids} when is_list(Ids) ->
            owner(lists:foldl(fun disarm/2, Timers, Ids));
        {cancel, Id} ->
            owner(disarm(Id, Timers));
        {fired, Id} ->
            owner(maps:remove(Id, Timers))
    end.

arm(Id, Timers) -> Timers#{Id => erlang:send_after(1000, self(), {fired, Id})}.

disarm(Id, Timers) ->
    case maps:take(Id, Timers) of
        {Ref, Rest} -> erlang:cancel_timer(Ref), Rest;
        error -> Timers
    end.

collect(Parent, 0, Lateness) ->
    Parent ! {collected, Lateness, erlang:monotonic_time(microsecond)};
collect(Parent, Left, Lateness) ->
    receive
        At -> collect(Parent, Left - 1, [erlang:monotonic_time(microsecond) - At * 1000 | Lateness])
    end.

idle() -> receive stop -> ok end.

delays(N) -> [3600000 + rand:uniform(3600001) - 1 || _ <- lists:seq(1, N)].

%% The p-th percentile of a sorted list, nearest rank (as chronos-bench's).
percentile(Sorted, N, P) -> lists:nth(round(P / 100 * (N - 1)) + 1, Sorted).

now_us() -> erlang:monotonic_time(microsecond).
seconds(Us) -> max(Us, 1) / 1.0e6.

%% Resident bytes of the emulator, from /proc (pages of 4 KiB, as on x86-64).
rss_bytes() ->
    {ok, Statm} = file:read_file("/proc/self/statm"),
    [_, Resident | _] = string:lexemes(binary_to_list(Statm), " \n"),
    list_to_integer(Resident) * 4096.

%% User + system CPU time of the emulator (every thread), from /proc, whose
%% clock ticks are 1/100 s (Linux's USER_HZ).
cpu_seconds() ->
    {ok, Stat} = file:read_file("/proc/self/stat"),
    % Fields after the command name, which is in parentheses and may hold spaces.
    [_, AfterName] = string:split(binary_to_list(Stat), ") ", trailing),
    Fields = string:lexemes(AfterName, " "),
    (list_to_integer(lists:nth(12, Fields)) + list_to_integer(lists:nth(13, Fields))) / 100.

figure(Workload, Metric, Value, Unit, Note) ->
    io:format("{\"workload\": \"~s\", \"system\": \"erlang_send_after\", \"metric\": \"~s\", "
              "\"value\": ~s, \"unit\": \"~s\", \"note\": \"~s\"}~n",
              [Workload, Metric, float_to_list(float(Value), [{decimals, 4}, compact]), Unit, Note]).
