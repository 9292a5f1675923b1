import XCTest

@testable import ForemanCore

final class TodaySheetViewModelTests: XCTestCase {
    private let site = Fixtures.site

    @MainActor
    func testPresetsFromReferenceRatesFillALineInTwoTaps() async throws {
        try await Fixtures.withRepo { repo in
            let vm = TodaySheetViewModel(repo: repo, site: self.site, now: Fixtures.clock(on: Fixtures.today))
            let loaded = await vm.load()
            XCTAssertTrue(loaded, "\(vm.state)")
            let s = vm.state
            XCTAssertEqual(s.date, Fixtures.today, "today on the site's calendar")
            XCTAssertNil(s.sheet, "no sheet started yet")
            // Reference trades, by name: a day rate gives one day, an hour rate alone eight hours.
            XCTAssertEqual(s.presets.map(\.trade), ["木工", "钢筋工"])
            XCTAssertEqual(s.presets.map(\.effortUnit), [.days, .hours])
            XCTAssertEqual(s.presets.map(\.rate), ["380.00", "50.00"])
            XCTAssertTrue(s.presets.allSatisfy { $0.lastUsed == nil })

            let carpenters = try XCTUnwrap(s.presets.first { $0.trade == "木工" })
            vm.pick(carpenters)
            XCTAssertEqual(vm.state.draft.rate, "380.00")
            XCTAssertEqual(vm.state.draft.effort, "1")
            vm.change {
                $0.headcount = "6"
                $0.costCode = "03-100"
                $0.crew = "张班组"
            }
            let saved = await vm.save()
            XCTAssertTrue(saved, "saved: \(vm.state)")

            let after = vm.state
            let sheet = try XCTUnwrap(after.sheet)
            XCTAssertEqual(sheet.lines.count, 1)
            XCTAssertEqual(sheet.totalCost, "2280.00", "6 × 1 day × 380.00")
            XCTAssertEqual(sheet.totalHeadcount, 6)
            XCTAssertEqual(after.draft, CrewDraft(), "the form is cleared for the next line")
            // The trade just used comes first now, with today's values: the last-used rate.
            XCTAssertEqual(after.presets.map(\.trade), ["木工", "钢筋工"])
            let first = try XCTUnwrap(after.presets.first)
            XCTAssertEqual(first.lastUsed, Fixtures.today)
            XCTAssertEqual(first.headcount, 6)
            XCTAssertEqual(first.crew, "张班组")
        }
    }

    @MainActor
    func testBadInputNamesTheFieldAndChangesNothing() async throws {
        try await Fixtures.withRepo { repo in
            let vm = TodaySheetViewModel(repo: repo, site: self.site, now: Fixtures.clock(on: Fixtures.today))
            await vm.load()
            let preset = try XCTUnwrap(vm.state.presets.first)
            vm.pick(preset)
            vm.change {
                $0.headcount = "4"
                $0.costCode = "03-100"
            }
            let firstSave = await vm.save()
            XCTAssertTrue(firstSave, "\(vm.state)")
            let sheetId = try XCTUnwrap(vm.state.sheet).info.id
            let before = try await repo.sheet(sheetId)

            let cases: [(field: String, typo: (inout CrewDraft) -> Void)] = [
                ("headcount", { $0.headcount = "four" }),
                ("headcount", { $0.headcount = "-3" }),
                ("effort", { $0.effortUnit = .hours; $0.effort = "25" }),
                ("rate", { $0.rate = "12,34" }),
                ("rate", { $0.rate = "NaN" }),
                ("cost_code", { $0.costCode = "99-999" }),
            ]
            for (field, typo) in cases {
                let current = try XCTUnwrap(vm.state.presets.first)
                vm.pick(current)
                vm.change {
                    $0.headcount = "4"
                    $0.costCode = "03-100"
                    typo(&$0)
                }
                let typed = vm.state.draft
                let refused = await vm.save()
                XCTAssertFalse(refused, "refused: \(typed)")
                let errors = vm.state.fieldErrors
                XCTAssertEqual(Set(errors.keys), [field], "the field named for \(typed)")
                XCTAssertFalse((errors[field] ?? "").trimmingCharacters(in: .whitespaces).isEmpty)
                XCTAssertEqual(vm.state.draft, typed, "the form keeps what was typed")
                let stored = try await repo.sheet(sheetId)
                XCTAssertEqual(stored, before, "the stored sheet is unchanged")
            }
        }
    }

    @MainActor
    func testYesterdaysCrewsCarryOverAndNudgesRecostExactly() async throws {
        try await Fixtures.withRepo { repo in
            let yesterday = TodaySheetViewModel(repo: repo, site: self.site, now: Fixtures.clock(on: Fixtures.yesterday))
            await yesterday.load()
            let started = await yesterday.startToday(copyLatest: false)
            XCTAssertTrue(started)
            let lines = [
                CrewDraft(trade: "木工", headcount: "4", effortUnit: .days, effort: "1", rate: "380.00", costCode: "03-100"),
                CrewDraft(trade: "瓦工", headcount: "3", effortUnit: .hours, effort: "8", rate: "44", costCode: "03-100"),
            ]
            for line in lines {
                yesterday.change { $0 = line }
                let saved = await yesterday.save()
                XCTAssertTrue(saved, "\(yesterday.state.fieldErrors)")
            }
            let yesterdaysSheet = try XCTUnwrap(yesterday.state.sheet)
            XCTAssertEqual(yesterdaysSheet.totalCost, "2576.00", "4×380 + 3×8×44")

            let today = TodaySheetViewModel(repo: repo, site: self.site, now: Fixtures.clock(on: Fixtures.today))
            await today.load()
            XCTAssertNil(today.state.sheet)
            // Presets now carry yesterday's values, newest use first; the reference trade not used comes last.
            XCTAssertEqual(today.state.presets.map(\.trade), ["木工", "瓦工", "钢筋工"])
            XCTAssertEqual(today.state.presets[1].rate, "44.00", "last-used rate")

            let copiedOK = await today.startToday()
            XCTAssertTrue(copiedOK)
            let copied = try XCTUnwrap(today.state.sheet)
            XCTAssertEqual(copied.workDate, Fixtures.today)
            XCTAssertEqual(copied.lines.map(\.trade), ["木工", "瓦工"])
            XCTAssertEqual(copied.lines.map(\.headcount), [4, 3])

            let carpenters = try XCTUnwrap(copied.lines.first { $0.trade == "木工" })
            let nudged = await today.nudgeHeadcount(lineId: carpenters.id, by: 2)
            XCTAssertTrue(nudged)
            XCTAssertEqual(try XCTUnwrap(today.state.sheet).totalCost, "3336.00", "6×380 + 3×8×44")
            let masons = try XCTUnwrap(copied.lines.first { $0.trade == "瓦工" })
            let removed = await today.remove(lineId: masons.id)
            XCTAssertTrue(removed)
            let left = try XCTUnwrap(today.state.sheet)
            XCTAssertEqual(left.totalCost, "2280.00")
            let stored = try await repo.sheet(left.info.id)
            XCTAssertEqual(left, stored, "what the screen shows is what is stored")
            let yesterdayStored = try await repo.sheet(yesterdaysSheet.info.id)
            XCTAssertEqual(yesterdayStored.totalCost, "2576.00", "yesterday untouched")

            // Editing a line opens it in the form and saves over it, not beside it.
            let line = try XCTUnwrap(left.lines.first)
            today.edit(line)
            today.change { $0.rate = "390.00" }
            let edited = await today.save()
            XCTAssertTrue(edited)
            let after = try XCTUnwrap(today.state.sheet)
            XCTAssertEqual(after.lines.count, 1)
            XCTAssertEqual(after.totalCost, "2340.00")
        }
    }
}
