package com.fieldledger.sample.app

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.launch

/**
 * Gives a plain-Kotlin view model an Android lifetime: it survives rotation, and its work runs in viewModelScope, so a
 * save is not cancelled when the foreman switches tabs mid-way.
 */
class ScreenModel<VM : Any>(val vm: VM) : ViewModel() {
    fun launch(block: suspend VM.() -> Unit) {
        viewModelScope.launch { vm.block() }
    }
}
