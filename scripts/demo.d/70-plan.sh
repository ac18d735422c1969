# Plans and the issue list (issue 13): the sample's plan (data/sample-plan.csv, made by
# scripts/make-sample-plan) is imported as issued on 2026-09-01, a few issues are raised (a
# parcel, a corridor stretch, a project; one closed), then plan status on 2026-11-27 and the
# week's bulletin, now ranked by 腾地亩 完成率 against the plan. Sourced by scripts/demo after
# 60-week.sh with $LANDCLEAR_BIN, $store and $out set.
plan="$LANDCLEAR_ROOT/data/sample-plan.csv"
log "importing the plan ($plan)"
"$LANDCLEAR_BIN" plan import "$store" "$plan" --reported 2026-09-02
log "raising issues (问题清单)"
"$LANDCLEAR_BIN" issue add "$store" --parcel 430302200204JC00001 --unit 雨湖区征拆办 \
    --deadline 2026-11-15 --on 2026-11-01 --text "一户未签约"
"$LANDCLEAR_BIN" issue add "$store" --corridor XT-2025-002-L1 --from K1+500 --to K1+800 \
    --unit 岳塘区征拆办 --deadline 2026-12-10 --on 2026-11-10 --text "管线未迁改，路段受阻"
grave=$("$LANDCLEAR_BIN" issue add "$store" --project XT-2026-001 --unit 湘潭县征拆指挥部 \
    --deadline 2026-11-30 --on 2026-11-05 --text "坟墓未迁")
echo "$grave"
"$LANDCLEAR_BIN" issue close "$store" "$grave" --on 2026-11-25 --note "已迁"
"$LANDCLEAR_BIN" issue list "$store" --as-of 2026-11-27
log "plan status on 2026-11-27 (as known on 2026-11-27)"
"$LANDCLEAR_BIN" plan status "$store" --as-of 2026-11-27 --known-on 2026-11-27
log "bulletin of the week to 2026-11-27 with the plan and the issues"
"$LANDCLEAR_BIN" bulletin "$store" --week 2026-11-27 --out "$out/bulletin-plan"
log "bulletin ranked against the plan: $out/bulletin-plan/ (XLSX, PDF)"
