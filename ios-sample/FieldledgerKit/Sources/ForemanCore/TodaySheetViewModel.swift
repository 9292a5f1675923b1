import Combine
import Foundation
import MobileCore

/// The crew-line form as typed: text, so a half-typed number is kept, not lost.
public struct CrewDraft: Hashable, Sendable {
    /// The line being edited; `nil` adds a new line.
    public var lineId: String?
    public var trade = ""
    public var crew = ""
    public var headcount = ""
    public var effortUnit: EffortUnit = .days
    public var effort = "1"
    public var rate = ""
    public var costCode = ""
    public var activity = ""
    public var note = ""

    public init(
        lineId: String? = nil, trade: String = "", crew: String = "", headcount: String = "",
        effortUnit: EffortUnit = .days, effort: String = "1", rate: String = "", costCode: String = "",
        activity: String = "", note: String = ""
    ) {
        self.lineId = lineId
        self.trade = trade
        self.crew = crew
        self.headcount = headcount
        self.effortUnit = effortUnit
        self.effort = effort
        self.rate = rate
        self.costCode = costCode
        self.activity = activity
        self.note = note
    }
}

public struct TodaySheetState: Equatable, Sendable {
    public var date: String
    public var sheet: LabourSheet?
    /// Trades pre-filled from their last use (newest first), then the project's reference rates.
    public var presets: [CrewPreset] = []
    public var draft = CrewDraft()
    /// Problems with the draft, by form field (`headcount`, `effort`, `rate`, `cost_code`, `trade`, …).
    public var fieldErrors: [String: String] = [:]
    public var error: UiError?
    public var busy = false
}

/// Today's labour sheet (点工单): start it from yesterday's crews, add lines from trade presets in two taps, nudge
/// headcounts, edit and remove lines. Every change is saved on the phone at once; totals are the core's exact
/// decimal figures, never computed here.
@MainActor
public final class TodaySheetViewModel: ObservableObject {
    @Published public private(set) var state: TodaySheetState

    private let repo: FieldRepository
    private let site: SiteContext
    private let now: () -> Date

    public init(repo: FieldRepository, site: SiteContext, now: @escaping () -> Date = { Date() }) {
        self.repo = repo
        self.site = site
        self.now = now
        state = TodaySheetState(date: site.today(at: now()))
    }

    /// The form, for SwiftUI bindings (`$model.draft.headcount`).
    public var draft: CrewDraft {
        get { state.draft }
        set { state.draft = newValue }
    }

    /// Reads today's sheet (if started) and the presets.
    @discardableResult
    public func load() async -> Bool {
        await work {
            let date = self.site.today(at: self.now())
            let sheet = try await self.repo.sheetOn(self.site, date: date)
            let presets = try await self.repo.presets(self.site)
            self.state.date = date
            self.state.sheet = sheet
            self.state.presets = presets
        }
    }

    /// Starts today's sheet with the crews of the site's latest sheet (`copyLatest`) or empty.
    @discardableResult
    public func startToday(copyLatest: Bool = true) async -> Bool {
        await work {
            guard self.state.sheet == nil else { return }
            self.state.sheet = try await self.repo.startSheet(self.site, date: self.state.date, copyLatest: copyLatest)
        }
    }

    /// Fills the form from a preset: the trade with its last crew, headcount, effort, rate, cost code and activity.
    public func pick(_ preset: CrewPreset) {
        state.draft = CrewDraft(
            trade: preset.trade,
            crew: preset.crew ?? "",
            headcount: preset.headcount.map { String($0) } ?? "",
            effortUnit: preset.effortUnit,
            effort: preset.effort,
            rate: preset.rate ?? "",
            costCode: preset.costCode ?? "",
            activity: preset.activity ?? ""
        )
        state.fieldErrors = [:]
    }

    /// Opens an existing line in the form.
    public func edit(_ line: CrewLine) {
        state.draft = CrewDraft(
            lineId: line.id, trade: line.trade, crew: line.crew ?? "", headcount: String(line.headcount),
            effortUnit: line.effortUnit, effort: line.effort, rate: line.rate, costCode: line.costCode,
            activity: line.activity ?? "", note: line.note ?? ""
        )
        state.fieldErrors = [:]
    }

    public func change(_ edit: (inout CrewDraft) -> Void) {
        edit(&state.draft)
    }

    public func clearDraft() {
        state.draft = CrewDraft()
        state.fieldErrors = [:]
    }

    /// Saves the form as a new line (starting today's sheet if needed) or over the line it edits. Bad input leaves
    /// the form as typed with the offending field named; nothing is saved.
    @discardableResult
    public func save() async -> Bool {
        let draft = state.draft
        guard let headcount = Int64(draft.headcount.trimmed) else {
            state.fieldErrors = ["headcount": "enter the number of workers"]
            return false
        }
        let input = CrewLineInput(
            trade: draft.trade, crew: draft.crew.nonBlank, headcount: headcount,
            effortUnit: draft.effortUnit, effort: draft.effort.trimmed, rate: draft.rate.trimmed,
            costCode: draft.costCode, activity: draft.activity.nonBlank, note: draft.note.nonBlank,
            workers: []
        )
        return await work {
            let sheet: LabourSheet
            if let started = self.state.sheet {
                sheet = started
            } else {
                sheet = try await self.repo.startSheet(self.site, date: self.state.date, copyLatest: false)
                // Kept even if the line is refused below, so the next save adds to this sheet, not a second one.
                self.state.sheet = sheet
            }
            if let lineId = draft.lineId {
                try await self.repo.updateLine(sheetId: sheet.info.id, lineId: lineId, input)
            } else {
                try await self.repo.addLine(sheetId: sheet.info.id, input)
            }
            let saved = try await self.repo.sheet(sheet.info.id)
            let presets = try await self.repo.presets(self.site)
            self.state.sheet = saved
            self.state.presets = presets
            self.state.draft = CrewDraft()
            self.state.fieldErrors = [:]
        }
    }

    /// One tap to change a line's headcount by `delta` (someone left at noon, two more arrived).
    @discardableResult
    public func nudgeHeadcount(lineId: String, by delta: Int64) async -> Bool {
        guard let sheet = state.sheet, let line = sheet.lines.first(where: { $0.id == lineId }) else { return false }
        var input = line.input
        input.headcount = line.headcount + delta
        return await work {
            try await self.repo.updateLine(sheetId: sheet.info.id, lineId: lineId, input)
            self.state.sheet = try await self.repo.sheet(sheet.info.id)
        }
    }

    @discardableResult
    public func remove(lineId: String) async -> Bool {
        guard let sheet = state.sheet else { return false }
        return await work {
            try await self.repo.removeLine(sheetId: sheet.info.id, lineId: lineId)
            self.state.sheet = try await self.repo.sheet(sheet.info.id)
        }
    }

    private func work(_ body: @MainActor () async throws -> Void) async -> Bool {
        await runWork({ busy, error, fields in
            self.state.busy = busy
            self.state.error = error
            if let fields { self.state.fieldErrors = fields }
        }, body)
    }
}

extension CrewLine {
    /// The line as input again, to save it with one value changed.
    public var input: CrewLineInput {
        CrewLineInput(
            trade: trade, crew: crew, headcount: headcount, effortUnit: effortUnit, effort: effort, rate: rate,
            costCode: costCode, activity: activity, note: note, workers: workers
        )
    }
}
