import ForemanCore
import SwiftUI

/// Today's labour sheet (点工单): preset chips, the crew-line form, the lines with +/- headcount, and the totals.
struct TodaySheetView: View {
    @StateObject private var model: TodaySheetViewModel

    init(repo: FieldRepository, site: SiteContext) {
        _model = StateObject(wrappedValue: TodaySheetViewModel(repo: repo, site: site))
    }

    var body: some View {
        let state = model.state
        List {
            Section {
                SheetTotals(date: state.date, sheet: state.sheet)
                if state.sheet == nil {
                    Button("Start with the last sheet's crews") {
                        Task { await model.startToday(copyLatest: true) }
                    }
                    Button("Start an empty sheet") {
                        Task { await model.startToday(copyLatest: false) }
                    }
                }
                ErrorBanner(error: state.error)
            }

            Section(state.draft.lineId == nil ? "Add a crew" : "Edit crew line") {
                if !state.presets.isEmpty {
                    PresetChips(presets: state.presets) { model.pick($0) }
                }
                CrewLineForm(model: model)
            }

            if let sheet = state.sheet, !sheet.lines.isEmpty {
                Section("Crews") {
                    ForEach(sheet.lines, id: \.id) { line in
                        CrewLineRow(
                            line: line,
                            busy: state.busy,
                            onNudge: { delta in Task { await model.nudgeHeadcount(lineId: line.id, by: delta) } },
                            onEdit: { model.edit(line) }
                        )
                        .swipeActions {
                            Button("Remove", role: .destructive) {
                                Task { await model.remove(lineId: line.id) }
                            }
                        }
                    }
                }
            }
        }
        .navigationTitle("Today")
        .scrollDismissesKeyboard(.interactively)
        .task { await model.load() }
        .refreshable { await model.load() }
    }
}

/// Date, headcount and cost of the sheet: the core's exact figures, shown as they come.
private struct SheetTotals: View {
    let date: String
    let sheet: LabourSheet?

    var body: some View {
        HStack {
            Text(date).font(.headline)
            Spacer()
            if let sheet {
                VStack(alignment: .trailing) {
                    Text("\(sheet.totalHeadcount) workers")
                    Text("\(sheet.totalCost) \(sheet.currency)").bold().monospacedDigit()
                }
            } else {
                Text("Not started").foregroundStyle(.secondary)
            }
        }
    }
}

/// One tap per trade: fills the form with the trade's last crew, headcount and rate (or the reference rate).
private struct PresetChips: View {
    let presets: [CrewPreset]
    let onPick: (CrewPreset) -> Void

    var body: some View {
        ScrollView(.horizontal, showsIndicators: false) {
            HStack {
                ForEach(presets, id: \.trade) { preset in
                    Button {
                        onPick(preset)
                    } label: {
                        VStack(alignment: .leading, spacing: 2) {
                            Text(preset.trade).bold()
                            Text(detail(preset)).font(.caption).foregroundStyle(.secondary)
                        }
                    }
                    .buttonStyle(.bordered)
                }
            }
        }
    }

    private func detail(_ preset: CrewPreset) -> String {
        let rate = preset.rate.map { "\($0)/\(preset.effortUnit.short)" } ?? "no rate"
        guard let headcount = preset.headcount else { return rate }
        return "\(headcount) × \(rate)"
    }
}

/// The crew-line form. Numbers stay text as typed; the core checks them and names the field it refuses.
private struct CrewLineForm: View {
    @ObservedObject var model: TodaySheetViewModel

    var body: some View {
        let errors = model.state.fieldErrors
        Group {
            TextField("Trade (木工, 钢筋工 …)", text: $model.draft.trade)
            FieldError(errors["trade"])
            TextField("Crew (optional)", text: $model.draft.crew)
            HStack {
                TextField("Headcount", text: $model.draft.headcount)
                    .keyboardType(.numberPad)
                Picker("Unit", selection: $model.draft.effortUnit) {
                    Text(EffortUnit.days.title).tag(EffortUnit.days)
                    Text(EffortUnit.hours.title).tag(EffortUnit.hours)
                }
                .pickerStyle(.segmented)
            }
            FieldError(errors["headcount"])
            HStack {
                // decimalPad types the region's separator; the core takes only "." and says so on the field.
                TextField(model.draft.effortUnit == .days ? "Days each" : "Hours each", text: $model.draft.effort)
                    .keyboardType(.decimalPad)
                TextField("Rate", text: $model.draft.rate)
                    .keyboardType(.decimalPad)
            }
            FieldError(errors["effort"])
            FieldError(errors["rate"])
            TextField("Cost code", text: $model.draft.costCode)
                .textInputAutocapitalization(.never)
            FieldError(errors["cost_code"])
            TextField("Activity (optional)", text: $model.draft.activity)
                .textInputAutocapitalization(.never)
            FieldError(errors["activity"])
            TextField("Note (optional)", text: $model.draft.note)
            HStack {
                Button(model.draft.lineId == nil ? "Add line" : "Save line") {
                    Task { await model.save() }
                }
                .buttonStyle(.borderedProminent)
                .disabled(model.state.busy)
                Spacer()
                Button("Clear") { model.clearDraft() }
                    .buttonStyle(.borderless)
            }
        }
    }
}

/// A saved line: tap to edit, +/- to change the headcount in one tap (saved at once).
private struct CrewLineRow: View {
    let line: CrewLine
    let busy: Bool
    let onNudge: (Int64) -> Void
    let onEdit: () -> Void

    var body: some View {
        HStack {
            VStack(alignment: .leading, spacing: 2) {
                Text(line.crew.map { "\(line.trade) · \($0)" } ?? line.trade).bold()
                Text("\(line.effort) \(line.effortUnit.short) × \(line.rate) = \(line.cost)")
                    .font(.caption)
                    .monospacedDigit()
                Text(line.costCode).font(.caption2).foregroundStyle(.secondary)
            }
            .contentShape(Rectangle())
            .onTapGesture(perform: onEdit)
            Spacer()
            Button { onNudge(-1) } label: { Image(systemName: "minus.circle") }
                .disabled(busy || line.headcount <= 0)
            Text("\(line.headcount)")
                .font(.title3)
                .monospacedDigit()
                .frame(minWidth: 32)
            Button { onNudge(1) } label: { Image(systemName: "plus.circle") }
                .disabled(busy)
        }
        // Several buttons in one list row: without this a tap anywhere fires them all.
        .buttonStyle(.borderless)
    }
}
