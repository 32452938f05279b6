; Included by CPack's NSIS script in the install section (CPACK_NSIS_EXTRA_INSTALL_COMMANDS,
; cmake/PackagingWindows.cmake). Registers PEFT Studio for run configurations (*.peft.yaml).
;
; Windows keys file types by the last extension only, so "x.peft.yaml" is a ".yaml" file to
; Explorer and a run config cannot have a type of its own. Instead of taking every YAML file over,
; the installer adds PEFT Studio to the "Open with" list of .yaml / .yml and an "Open in PEFT
; Studio" verb to their context menu. SHCTX is HKLM for an all-users install, HKCU otherwise.

WriteRegStr SHCTX "Software\Classes\PeftStudio.RunConfig" "" "PEFT Studio run configuration"
WriteRegStr SHCTX "Software\Classes\PeftStudio.RunConfig\DefaultIcon" "" "$INSTDIR\bin\peft-studio.exe,0"
WriteRegStr SHCTX "Software\Classes\PeftStudio.RunConfig\shell\open\command" "" '"$INSTDIR\bin\peft-studio.exe" "%1"'
WriteRegStr SHCTX "Software\Classes\.yaml\OpenWithProgids" "PeftStudio.RunConfig" ""
WriteRegStr SHCTX "Software\Classes\.yml\OpenWithProgids" "PeftStudio.RunConfig" ""
WriteRegStr SHCTX "Software\Classes\SystemFileAssociations\.yaml\shell\PeftStudio" "" "Open in PEFT Studio"
WriteRegStr SHCTX "Software\Classes\SystemFileAssociations\.yaml\shell\PeftStudio" "Icon" "$INSTDIR\bin\peft-studio.exe,0"
WriteRegStr SHCTX "Software\Classes\SystemFileAssociations\.yaml\shell\PeftStudio\command" "" '"$INSTDIR\bin\peft-studio.exe" "%1"'
WriteRegStr SHCTX "Software\Classes\Applications\peft-studio.exe\SupportedTypes" ".yaml" ""
WriteRegStr SHCTX "Software\Classes\Applications\peft-studio.exe\SupportedTypes" ".yml" ""
; Tell Explorer that associations changed (SHCNE_ASSOCCHANGED).
System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
