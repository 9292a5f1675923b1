import ForemanCore
import SwiftUI

/// A progress report: the activity, percent complete or quantity installed, and photos from the camera or the
/// library (with capture time and GPS).
struct ProgressPhotoView: View {
    @StateObject private var model: ProgressPhotoViewModel
    @StateObject private var location = LocationProvider()
    @State private var photoError: String?

    init(repo: FieldRepository, site: SiteContext) {
        _model = StateObject(wrappedValue: ProgressPhotoViewModel(repo: repo, site: site))
    }

    var body: some View {
        let state = model.state
        Form {
            Section {
                ActivityField(model: model)
                FieldError(state.fieldErrors["activity"])
            } header: {
                Text("Activity · \(state.draft.date)")
            } footer: {
                if state.activities.isEmpty {
                    Text("Sync once to get the schedule's activities; until then type the activity's ID.")
                }
            }

            Section("Progress") {
                Picker("Measure", selection: $model.draft.measure) {
                    ForEach(MeasureKind.allCases, id: \.self) { Text($0.title).tag($0) }
                }
                .pickerStyle(.segmented)
                HStack {
                    TextField(state.draft.measure == .percent ? "Percent (0–100)" : "Installed today", text: $model.draft.value)
                        .keyboardType(.decimalPad)
                    if state.draft.measure == .quantity {
                        TextField("Unit", text: $model.draft.unit)
                            .textInputAutocapitalization(.never)
                            .frame(maxWidth: 80)
                    }
                }
                ForEach(["percent", "installed", "quantity", "unit"], id: \.self) { FieldError(state.fieldErrors[$0]) }
                TextField("Caption (optional)", text: $model.draft.caption)
            }

            Section("Photos") {
                PhotoSourceButtons(
                    location: location,
                    onPicked: { photo in
                        photoError = nil
                        model.addPhoto(photo)
                    },
                    onError: { photoError = $0 }
                )
                if let photoError {
                    Text(photoError).font(.caption).foregroundStyle(.red)
                }
                ForEach(state.photos) { photo in
                    HStack {
                        LocalImage(path: photo.path)
                        Text("Waiting to be attached").font(.caption).foregroundStyle(.secondary)
                        Spacer()
                        Button(role: .destructive) {
                            model.removePhoto(path: photo.path)
                        } label: {
                            Image(systemName: "trash")
                        }
                        .buttonStyle(.borderless)
                    }
                }
                if let saved = state.saved, !saved.photos.isEmpty {
                    ScrollView(.horizontal) {
                        HStack {
                            ForEach(saved.photos, id: \.sha256) { LocalImage(path: $0.thumbnailPath) }
                        }
                    }
                }
            }

            Section {
                ErrorBanner(error: state.error)
                if state.busy && state.toAttach > 0 {
                    ProgressView(value: Double(state.attached), total: Double(state.toAttach)) {
                        Text("Attaching photo \(min(state.attached + 1, state.toAttach)) of \(state.toAttach)")
                    }
                }
                Button(state.saved == nil ? "Save report" : "Save changes") {
                    Task { await model.save() }
                }
                .buttonStyle(.borderedProminent)
                .disabled(state.busy)
            }
        }
        .navigationTitle("Progress")
        .scrollDismissesKeyboard(.interactively)
        .task { await model.load() }
        .onAppear { location.start() }
        .onDisappear { location.stop() }
    }
}

/// The schedule's activities once synced (choosing one fills in its unit), else a text field for the ID.
private struct ActivityField: View {
    @ObservedObject var model: ProgressPhotoViewModel

    var body: some View {
        let activities = model.state.activities
        if activities.isEmpty {
            TextField("Activity ID", text: $model.draft.activity)
                .textInputAutocapitalization(.never)
        } else {
            Picker("Activity", selection: chosen) {
                Text("Choose…").tag("")
                ForEach(activities, id: \.id) { activity in
                    Text(activity.name).tag(activity.id)
                }
            }
        }
    }

    private var chosen: Binding<String> {
        Binding(
            get: { model.draft.activity },
            set: { id in
                if let activity = model.state.activities.first(where: { $0.id == id }) { model.choose(activity) }
            }
        )
    }
}
