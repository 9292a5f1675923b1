import ForemanCore
import SwiftUI

/// An expense (费用) with its receipts: amount, category from the core's list, cost code, vendor, receipt photos.
struct ExpenseView: View {
    @StateObject private var model: ExpenseViewModel
    @StateObject private var location = LocationProvider()
    @State private var photoError: String?

    init(repo: FieldRepository, site: SiteContext) {
        _model = StateObject(wrappedValue: ExpenseViewModel(repo: repo, site: site))
    }

    var body: some View {
        let state = model.state
        let errors = state.fieldErrors
        Form {
            Section("Expense · \(state.draft.date)") {
                TextField("Amount, e.g. 1280.50", text: $model.draft.amount)
                    .keyboardType(.decimalPad)
                    .font(.title3.monospacedDigit())
                FieldError(errors["amount"])
                Picker("Category", selection: $model.draft.category) {
                    ForEach(state.categories, id: \.self) { Text($0).tag($0) }
                }
                FieldError(errors["category"])
                CostCodeField(model: model)
                FieldError(errors["cost_code"])
                TextField("Vendor (optional)", text: $model.draft.vendor)
                TextField("Note (optional)", text: $model.draft.note)
            }

            Section("Receipts") {
                PhotoSourceButtons(
                    location: location,
                    onPicked: { photo in
                        photoError = nil
                        model.addReceipt(photo)
                    },
                    onError: { photoError = $0 }
                )
                if let photoError {
                    Text(photoError).font(.caption).foregroundStyle(.red)
                }
                ForEach(state.receipts) { receipt in
                    HStack {
                        LocalImage(path: receipt.path)
                        Text("Attached on save").font(.caption).foregroundStyle(.secondary)
                        Spacer()
                        Button(role: .destructive) {
                            model.removeReceipt(path: receipt.path)
                        } label: {
                            Image(systemName: "trash")
                        }
                        .buttonStyle(.borderless)
                    }
                }
                if let saved = state.saved, !saved.receipts.isEmpty {
                    ScrollView(.horizontal) {
                        HStack {
                            ForEach(saved.receipts, id: \.sha256) { LocalImage(path: $0.thumbnailPath) }
                        }
                    }
                }
            }

            Section {
                ErrorBanner(error: state.error)
                if let saved = state.saved {
                    Label("Saved on the phone: \(saved.amount) \(saved.currency)", systemImage: "checkmark.circle")
                        .foregroundStyle(.green)
                }
                HStack {
                    Button(state.saved == nil ? "Save expense" : "Save changes") {
                        Task { await model.save() }
                    }
                    .buttonStyle(.borderedProminent)
                    .disabled(state.busy)
                    Spacer()
                    if state.saved != nil {
                        Button("Next expense") { model.startNext() }
                            .buttonStyle(.borderless)
                    }
                }
            }
        }
        .navigationTitle("Expense")
        .scrollDismissesKeyboard(.interactively)
        .task { await model.load() }
        .onAppear { location.start() }
        .onDisappear { location.stop() }
    }
}

/// The project's cost codes once synced (a picker), else a text field: before the first sync the foreman types it.
private struct CostCodeField: View {
    @ObservedObject var model: ExpenseViewModel

    var body: some View {
        let codes = model.state.costCodes
        if codes.isEmpty {
            TextField("Cost code, e.g. 03-100", text: $model.draft.costCode)
                .textInputAutocapitalization(.never)
        } else {
            Picker("Cost code", selection: $model.draft.costCode) {
                Text("Choose…").tag("")
                ForEach(codes, id: \.code) { code in
                    Text("\(code.code) \(code.name)").tag(code.code)
                }
            }
        }
    }
}
